// The CDK app whose synthesized templates are the fixtures of kaji import --from-cdk
// (internal/importer/cdk/testdata/cdk.out). Regenerate them with make cdk-fixtures.
//
// Platform deploys to account 111111111111 in eu-west-1; Tools is environment-agnostic, so
// its pseudo parameters (AWS::Region, AWS::AccountId) stay references in the template; the
// stage Staging deploys to another cluster in us-east-1.
const path = require('path');
const cdk = require('aws-cdk-lib');
const eks = require('aws-cdk-lib/aws-eks');
const iam = require('aws-cdk-lib/aws-iam');
const { Asset } = require('aws-cdk-lib/aws-s3-assets');
const { KubectlV33Layer } = require('@aws-cdk/lambda-layer-kubectl-v33');

// Addons is a nested stack of Platform with a chart of its own.
class Addons extends cdk.NestedStack {
  constructor(scope, id, props) {
    super(scope, id);
    new eks.HelmChart(this, 'LoadBalancerController', {
      cluster: props.cluster,
      chart: 'aws-load-balancer-controller',
      repository: 'https://aws.github.io/eks-charts',
      version: '1.13.4',
      release: 'aws-load-balancer-controller',
      namespace: 'kube-system',
      values: {
        clusterName: 'prod',
        region: cdk.Aws.REGION,
        serviceAccount: {
          annotations: { 'eks.amazonaws.com/role-arn': props.controllerRole.roleArn },
        },
      },
    });
  }
}

class Platform extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: 'prod',
      kubectlRoleArn: 'arn:aws:iam::111111111111:role/prod-kubectl',
      kubectlLayer: new KubectlV33Layer(this, 'Kubectl'),
    });

    // An https repository, through cluster.addHelmChart.
    cluster.addHelmChart('IngressNginx', {
      chart: 'ingress-nginx',
      repository: 'https://kubernetes.github.io/ingress-nginx',
      version: '4.15.1',
      release: 'ingress-nginx',
      namespace: 'ingress-nginx',
      wait: true,
      timeout: cdk.Duration.minutes(10),
      values: {
        controller: {
          replicaCount: 2,
          service: {
            annotations: { 'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing' },
          },
        },
      },
    });

    // An OCI repository and no release name: CDK names the release after the construct.
    new eks.HelmChart(this, 'Cache', {
      cluster,
      chart: 'redis',
      repository: 'oci://registry-1.docker.io/bitnamicharts/redis',
      version: '23.1.1',
      namespace: 'cache',
      atomic: true,
      skipCrds: true,
      createNamespace: false,
      values: { architecture: 'standalone', auth: { password: 'redis-hunter2' } },
    });

    // Values with secrets, a pseudo parameter and an attribute of a role of this stack.
    const grafanaRole = new iam.Role(this, 'GrafanaRole', {
      assumedBy: new iam.AccountRootPrincipal(),
    });
    new eks.HelmChart(this, 'Grafana', {
      cluster,
      chart: 'grafana',
      repository: 'https://grafana.github.io/helm-charts',
      version: '10.1.4',
      release: 'grafana',
      namespace: 'monitoring',
      values: {
        adminPassword: 'grafana-hunter2',
        env: { GF_CLOUDWATCH_REGION: cdk.Aws.REGION, SLACK_API_TOKEN: 'xoxb-1111-2222-abcdef' },
        serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': grafanaRole.roleArn } },
      },
    });

    // A chart shipped as an S3 asset.
    new eks.HelmChart(this, 'Hello', {
      cluster,
      chartAsset: new Asset(this, 'HelloChart', { path: path.join(__dirname, 'charts', 'hello') }),
      release: 'hello',
      namespace: 'default',
    });

    const controllerRole = new iam.Role(this, 'LoadBalancerControllerRole', {
      assumedBy: new iam.AccountRootPrincipal(),
    });
    new Addons(this, 'Addons', { cluster, controllerRole });
  }
}

class Tools extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const cluster = eks.Cluster.fromClusterAttributes(this, 'Cluster', {
      clusterName: 'prod',
      kubectlRoleArn: `arn:aws:iam::${cdk.Aws.ACCOUNT_ID}:role/prod-kubectl`,
      kubectlLayer: new KubectlV33Layer(this, 'Kubectl'),
    });

    // Already retained through the removalPolicy prop, and a value imported from another stack.
    new eks.HelmChart(this, 'ExternalDns', {
      cluster,
      chart: 'external-dns',
      repository: 'https://kubernetes-sigs.github.io/external-dns/',
      version: '1.19.0',
      release: 'external-dns',
      namespace: 'external-dns',
      removalPolicy: cdk.RemovalPolicy.RETAIN,
      values: {
        provider: { name: 'aws' },
        env: [{ name: 'AWS_DEFAULT_REGION', value: cdk.Aws.REGION }],
        domainFilters: [cdk.Fn.importValue('shared-zone-name')],
        txtOwnerId: `prod-${cdk.Aws.ACCOUNT_ID}`,
      },
    });

    // Retained the way every aws-cdk-lib v2 allows: on the chart's custom resource.
    const sealed = new eks.HelmChart(this, 'SealedSecrets', {
      cluster,
      chart: 'sealed-secrets',
      repository: 'https://bitnami-labs.github.io/sealed-secrets',
      version: '2.17.3',
      release: 'sealed-secrets',
      namespace: 'kube-system',
    });
    sealed.node.defaultChild.applyRemovalPolicy(cdk.RemovalPolicy.RETAIN);
  }
}

// A stage deploys its stacks as a nested cloud assembly, here to another cluster.
class Staging extends cdk.Stage {
  constructor(scope, id, props) {
    super(scope, id, props);
    const apps = new cdk.Stack(this, 'Apps');
    const cluster = eks.Cluster.fromClusterAttributes(apps, 'Cluster', {
      clusterName: 'staging',
      kubectlRoleArn: 'arn:aws:iam::111111111111:role/staging-kubectl',
      kubectlLayer: new KubectlV33Layer(apps, 'Kubectl'),
    });
    cluster.addHelmChart('Podinfo', {
      chart: 'podinfo',
      repository: 'oci://ghcr.io/stefanprodan/charts/podinfo',
      version: '6.9.2',
      release: 'podinfo',
      namespace: 'apps',
      values: { replicaCount: 1 },
    });
  }
}

const app = new cdk.App();
new Platform(app, 'Platform', {
  stackName: 'platform-prod',
  env: { account: '111111111111', region: 'eu-west-1' },
});
new Tools(app, 'Tools');
new Staging(app, 'Staging', { env: { account: '111111111111', region: 'us-east-1' } });
app.synth();
