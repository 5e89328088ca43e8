// Package awspartition names the AWS partition of a region, for the ARNs kaji writes.
package awspartition

import "strings"

// Of returns the ARN partition of region: aws-cn, aws-us-gov, aws-eusc, aws-iso, aws-iso-b,
// else aws.
func Of(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	}
	return "aws"
}
