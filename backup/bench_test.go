package backup

import (
	"bytes"
	"testing"

	"filippo.io/age"

	"github.com/coldsig/coldsig/keyshare"
	"github.com/coldsig/coldsig/keyshare/keysharetest"
)

// BenchmarkSplitECDSA3of5 splits a real ECDSA share (from the 2-of-3
// keygen fixture) into a 3-of-5 backup and seals every shard.
func BenchmarkSplitECDSA3of5(b *testing.B) {
	fx := keysharetest.Load(b, keyshare.CurveSecp256k1)
	id, _ := age.GenerateX25519Identity()
	names := []string{"c1", "c2", "c3", "c4", "c5"}
	b.ReportAllocs()
	for b.Loop() {
		shards, err := Split(fx.Inner[0], fx.IDs[0], Options{Threshold: 3, Custodians: names})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range shards {
			if _, err := SealShard(s, id.Recipient()); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRestoreECDSA3of5 opens and combines 3 sealed shards of a 3-of-5
// backup of a real ECDSA share.
func BenchmarkRestoreECDSA3of5(b *testing.B) {
	fx := keysharetest.Load(b, keyshare.CurveSecp256k1)
	id, _ := age.GenerateX25519Identity()
	shards, err := Split(fx.Inner[0], fx.IDs[0], Options{Threshold: 3, Custodians: []string{"c1", "c2", "c3", "c4", "c5"}})
	if err != nil {
		b.Fatal(err)
	}
	var files []File
	for _, s := range shards[1:4] {
		sealed, err := SealShard(s, id.Recipient())
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, File{Label: "x", Data: sealed})
	}
	b.SetBytes(int64(len(files[0].Data)))
	for b.Loop() {
		res, err := Restore(files, &Keys{Identities: []age.Identity{id}}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(res.Inner, fx.Inner[0]) {
			b.Fatal("restored share differs")
		}
	}
}
