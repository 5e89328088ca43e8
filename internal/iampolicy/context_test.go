package iampolicy

import "testing"

func TestContextCloneAndUnset(t *testing.T) {
	var c Context
	c.Set("sts:ExternalId", "a")
	c.Absent("aws:SourceIp")
	d := c.Clone()
	d.Set("sts:ExternalId", "b")
	d.Unset("aws:SourceIp")
	if v, present, known := c.lookup("STS:EXTERNALID"); !present || !known || v[0] != "a" {
		t.Errorf("the clone changed the original: %v %v %v", v, present, known)
	}
	if _, _, known := c.lookup("aws:SourceIp"); !known {
		t.Error("the original forgot an absent key")
	}
	if _, _, known := d.lookup("aws:SourceIp"); known {
		t.Error("Unset left the key known")
	}
	d.Unset("sts:ExternalId")
	d.Complete = true
	if _, present, known := d.lookup("sts:ExternalId"); present || !known {
		t.Error("an unset key of a complete context should be known absent")
	}
}
