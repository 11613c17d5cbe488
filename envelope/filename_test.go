package envelope

import "testing"

func TestParseFileName(t *testing.T) {
	h := Header{Protocol: "ecdsa-keygen", Round: 2, From: 3, To: 1}
	copy(h.Session[:], []byte{0xde, 0xad, 0xbe, 0xef, 9, 9})
	name := FileName(h)
	info, ok := ParseFileName(name)
	if !ok || info.SessionPrefix != [4]byte{0xde, 0xad, 0xbe, 0xef} || info.Protocol != "ecdsa-keygen" || info.Round != 2 || info.From != 3 || info.To != 1 {
		t.Fatalf("%s: %+v %v", name, info, ok)
	}
	h.To = ToAll
	if info, ok := ParseFileName(FileName(h)); !ok || info.To != ToAll {
		t.Fatalf("to-all: %+v %v", info, ok)
	}
	for _, bad := range []string{
		"", "plan.txt", "cs-deadbeef-ecdsa-keygen-r02-p3-to-p1.age.gif",
		"cs-DEADBEEF-ecdsa-keygen-r02-p3-to-p1.age", "cs-deadbeef-ecdsa-keygen-r2-p3-to-p1.age",
		"cs-deadbeef-ecdsa-keygen-r00-p3-to-p1.age", "cs-deadbeef-ecdsa-keygen-r02-p03-to-p1.age",
		"cs-deadbeef-ecdsa-keygen-r02-p0-to-p1.age", "cs-deadbeef-ecdsa-keygen-r02-p3-to-p256.age",
	} {
		if info, ok := ParseFileName(bad); ok {
			t.Errorf("%q parsed as %+v", bad, info)
		}
	}
}

func FuzzParseFileName(f *testing.F) {
	f.Add("cs-deadbeef-ecdsa-keygen-r02-p3-to-p1.age")
	f.Add("cs-00000000-eddsa-signing-r09-p16-to-all.age")
	f.Fuzz(func(t *testing.T, name string) {
		info, ok := ParseFileName(name)
		if !ok {
			return
		}
		h := Header{Protocol: info.Protocol, Round: info.Round, From: info.From, To: info.To}
		copy(h.Session[:4], info.SessionPrefix[:])
		if FileName(h) != name {
			t.Fatalf("%q parsed to %+v, which names %q", name, info, FileName(h))
		}
	})
}

// TestLastRound: the envelopes of the highest round, in order, whatever
// directory they are in; other names are ignored.
func TestLastRound(t *testing.T) {
	name := func(round, to int) string {
		return "out/" + FileName(Header{Protocol: "ecdsa-signing", Round: round, From: 1, To: to})
	}
	outbox := []string{name(1, ToAll), name(2, 2), "out/notes.txt", name(2, 3), name(1, 2)}
	got := LastRound(outbox)
	if len(got) != 2 || got[0] != name(2, 2) || got[1] != name(2, 3) {
		t.Fatalf("LastRound = %q", got)
	}
	if got := LastRound([]string{"out/notes.txt"}); got != nil {
		t.Fatalf("no envelope: %q", got)
	}
}
