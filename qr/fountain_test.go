package qr

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"slices"
	"testing"
)

// The expected values in this file are the published test vectors of the
// Blockchain Commons UR reference implementation (bc-ur test.cpp, identical
// in the Swift, Rust and Java ports). Matching them is what makes our frames
// readable by other UR decoders and theirs by us.

func makeMessage(n int, seed string) []byte {
	rng := newXoshiro([]byte(seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = rng.nextByte()
	}
	return b
}

func TestXoshiroVectors(t *testing.T) {
	mod100 := func(rng *xoshiro) []int {
		out := make([]int, 100)
		for i := range out {
			out[i] = int(rng.next() % 100)
		}
		return out
	}
	want1 := []int{42, 81, 85, 8, 82, 84, 76, 73, 70, 88, 2, 74, 40, 48, 77, 54, 88, 7, 5, 88, 37, 25, 82, 13, 69, 59, 30, 39, 11, 82, 19, 99, 45, 87, 30, 15, 32, 22, 89, 44, 92, 77, 29, 78, 4, 92, 44, 68, 92, 69, 1, 42, 89, 50, 37, 84, 63, 34, 32, 3, 17, 62, 40, 98, 82, 89, 24, 43, 85, 39, 15, 3, 99, 29, 20, 42, 27, 10, 85, 66, 50, 35, 69, 70, 70, 74, 30, 13, 72, 54, 11, 5, 70, 55, 91, 52, 10, 43, 43, 52}
	if got := mod100(newXoshiro([]byte("Wolf"))); !slices.Equal(got, want1) {
		t.Errorf("rng 1:\n got %v\nwant %v", got, want1)
	}
	var seed [4]byte
	sum := crc32.ChecksumIEEE([]byte("Wolf"))
	seed[0], seed[1], seed[2], seed[3] = byte(sum>>24), byte(sum>>16), byte(sum>>8), byte(sum)
	want2 := []int{88, 44, 94, 74, 0, 99, 7, 77, 68, 35, 47, 78, 19, 21, 50, 15, 42, 36, 91, 11, 85, 39, 64, 22, 57, 11, 25, 12, 1, 91, 17, 75, 29, 47, 88, 11, 68, 58, 27, 65, 21, 54, 47, 54, 73, 83, 23, 58, 75, 27, 26, 15, 60, 36, 30, 21, 55, 57, 77, 76, 75, 47, 53, 76, 9, 91, 14, 69, 3, 95, 11, 73, 20, 99, 68, 61, 3, 98, 36, 98, 56, 65, 14, 80, 74, 57, 63, 68, 51, 56, 24, 39, 53, 80, 57, 51, 81, 3, 1, 30}
	if got := mod100(newXoshiro(seed[:])); !slices.Equal(got, want2) {
		t.Errorf("rng 2:\n got %v\nwant %v", got, want2)
	}
	rng := newXoshiro([]byte("Wolf"))
	want3 := []int{6, 5, 8, 4, 10, 5, 7, 10, 4, 9, 10, 9, 7, 7, 1, 1, 2, 9, 9, 2, 6, 4, 5, 7, 8, 5, 4, 2, 3, 8, 7, 4, 5, 1, 10, 9, 3, 10, 2, 6, 8, 5, 7, 9, 3, 1, 5, 2, 7, 1, 4, 4, 4, 4, 9, 4, 5, 5, 6, 9, 5, 1, 2, 8, 3, 3, 2, 8, 4, 3, 2, 1, 10, 8, 9, 3, 10, 8, 5, 5, 6, 7, 10, 5, 8, 9, 4, 6, 4, 2, 10, 2, 1, 7, 9, 6, 7, 4, 2, 5}
	got3 := make([]int, 100)
	for i := range got3 {
		got3[i] = int(rng.nextInt(1, 10))
	}
	if !slices.Equal(got3, want3) {
		t.Errorf("rng 3:\n got %v\nwant %v", got3, want3)
	}
}

func TestXorVector(t *testing.T) {
	rng := newXoshiro([]byte("Wolf"))
	d1 := make([]byte, 10)
	d2 := make([]byte, 10)
	for i := range d1 {
		d1[i] = rng.nextByte()
	}
	for i := range d2 {
		d2[i] = rng.nextByte()
	}
	if hex.EncodeToString(d1) != "916ec65cf77cadf55cd7" || hex.EncodeToString(d2) != "f9cda1a1030026ddd42e" {
		t.Fatalf("next_data: %x %x", d1, d2)
	}
	xorInto(d1, d2)
	if hex.EncodeToString(d1) != "68a367fdf47c8b2888f9" {
		t.Errorf("xor: %x", d1)
	}
}

func TestFragmentLen(t *testing.T) {
	for _, c := range []struct{ n, min, max, want int }{
		{12345, 1005, 1955, 1764},
		{12345, 1005, 30000, 12345},
		{5, 10, 300, 5}, // shorter than the minimum: one fragment
	} {
		if got := fragmentLen(c.n, c.min, c.max); got != c.want {
			t.Errorf("fragmentLen(%d, %d, %d) = %d, want %d", c.n, c.min, c.max, got, c.want)
		}
	}
}

func TestSamplerVector(t *testing.T) {
	s := newSampler([]float64{1, 2, 4, 8})
	rng := newXoshiro([]byte("Wolf"))
	want := []int{3, 3, 3, 3, 3, 3, 3, 0, 2, 3, 3, 3, 3, 1, 2, 2, 1, 3, 3, 2, 3, 3, 1, 1, 2, 1, 1, 3, 1, 3, 1, 2, 0, 2, 1, 0, 3, 3, 3, 1, 3, 3, 3, 3, 1, 3, 2, 3, 2, 2, 3, 3, 3, 3, 2, 3, 3, 0, 3, 3, 3, 3, 1, 2, 3, 3, 2, 2, 2, 1, 2, 2, 1, 2, 3, 1, 3, 0, 3, 2, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 1, 3, 3, 2, 0, 2, 2, 3, 1, 1, 2, 3, 2, 3, 3, 3, 3, 2, 3, 3, 3, 3, 3, 2, 3, 1, 2, 1, 1, 3, 1, 3, 2, 2, 3, 3, 3, 1, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3, 2, 3, 3, 1, 2, 3, 3, 1, 3, 2, 3, 3, 3, 2, 3, 1, 3, 0, 3, 2, 1, 1, 3, 1, 3, 2, 3, 3, 3, 3, 2, 0, 3, 3, 1, 3, 0, 2, 1, 3, 3, 1, 1, 3, 1, 2, 3, 3, 3, 0, 2, 3, 2, 0, 1, 3, 3, 3, 2, 2, 2, 3, 3, 3, 3, 3, 2, 3, 3, 3, 3, 2, 3, 3, 2, 0, 2, 3, 3, 3, 3, 2, 1, 1, 1, 2, 1, 3, 3, 3, 2, 2, 3, 3, 1, 2, 3, 0, 3, 2, 3, 3, 3, 3, 0, 2, 2, 3, 2, 2, 3, 3, 3, 3, 1, 3, 2, 3, 3, 3, 3, 3, 2, 2, 3, 1, 3, 0, 2, 1, 3, 3, 3, 3, 3, 3, 3, 3, 1, 3, 3, 3, 3, 2, 2, 2, 3, 1, 1, 3, 2, 2, 0, 3, 2, 1, 2, 1, 0, 3, 3, 3, 2, 2, 3, 2, 1, 2, 0, 0, 3, 3, 2, 3, 3, 2, 3, 3, 3, 3, 3, 2, 2, 2, 3, 3, 3, 3, 3, 1, 1, 3, 2, 2, 3, 1, 1, 0, 1, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3, 2, 2, 2, 2, 3, 2, 2, 2, 2, 2, 1, 2, 3, 3, 2, 2, 2, 2, 3, 3, 2, 0, 2, 1, 3, 3, 3, 3, 0, 3, 3, 3, 3, 2, 2, 3, 1, 3, 3, 3, 2, 3, 3, 3, 2, 3, 3, 3, 3, 2, 3, 2, 1, 3, 3, 3, 3, 2, 2, 0, 1, 2, 3, 2, 0, 3, 3, 3, 3, 3, 3, 1, 3, 3, 2, 3, 2, 2, 3, 3, 3, 3, 3, 2, 2, 3, 3, 2, 2, 2, 1, 3, 3, 3, 3, 1, 2, 3, 2, 3, 3, 2, 3, 2, 3, 3, 3, 2, 3, 1, 2, 3, 2, 1, 1, 3, 3, 2, 3, 3, 2, 3, 3, 0, 0, 1, 3, 3, 2, 3, 3, 3, 3, 1, 3, 3, 0, 3, 2, 3, 3, 1, 3, 3, 3, 3, 3, 3, 3, 0, 3, 3, 2}
	got := make([]int, len(want))
	for i := range got {
		got[i] = s.next(rng)
	}
	if !slices.Equal(got, want) {
		t.Errorf("sampler:\n got %v\nwant %v", got, want)
	}
}

func TestShuffleVector(t *testing.T) {
	rng := newXoshiro([]byte("Wolf"))
	values := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	want := [][]int{
		{6, 4, 9, 3, 10, 5, 7, 8, 1, 2},
		{10, 8, 6, 5, 1, 2, 3, 9, 7, 4},
		{6, 4, 5, 8, 9, 3, 2, 1, 7, 10},
		{7, 3, 5, 1, 10, 9, 4, 8, 2, 6},
		{8, 5, 7, 10, 2, 1, 4, 3, 9, 6},
		{4, 3, 5, 6, 10, 2, 7, 8, 9, 1},
		{5, 1, 3, 9, 4, 6, 2, 10, 7, 8},
		{2, 1, 10, 8, 9, 4, 7, 6, 3, 5},
		{6, 7, 10, 4, 8, 9, 2, 3, 1, 5},
		{10, 2, 1, 7, 9, 5, 6, 3, 4, 8},
	}
	for i, w := range want {
		if got := shuffled(values, rng); !slices.Equal(got, w) {
			t.Errorf("shuffle %d: got %v want %v", i, got, w)
		}
	}
}

func TestPartitionVector(t *testing.T) {
	msg := makeMessage(1024, "Wolf")
	fl := fragmentLen(len(msg), 10, 100)
	frags := partition(msg, fl)
	want := []string{
		"916ec65cf77cadf55cd7f9cda1a1030026ddd42e905b77adc36e4f2d3ccba44f7f04f2de44f42d84c374a0e149136f25b01852545961d55f7f7a8cde6d0e2ec43f3b2dcb644a2209e8c9e34af5c4747984a5e873c9cf5f965e25ee29039f",
		"df8ca74f1c769fc07eb7ebaec46e0695aea6cbd60b3ec4bbff1b9ffe8a9e7240129377b9d3711ed38d412fbb4442256f1e6f595e0fc57fed451fb0a0101fb76b1fb1e1b88cfdfdaa946294a47de8fff173f021c0e6f65b05c0a494e50791",
		"270a0050a73ae69b6725505a2ec8a5791457c9876dd34aadd192a53aa0dc66b556c0c215c7ceb8248b717c22951e65305b56a3706e3e86eb01c803bbf915d80edcd64d4d41977fa6f78dc07eecd072aae5bc8a852397e06034dba6a0b570",
		"797c3a89b16673c94838d884923b8186ee2db5c98407cab15e13678d072b43e406ad49477c2e45e85e52ca82a94f6df7bbbe7afbed3a3a830029f29090f25217e48d1f42993a640a67916aa7480177354cc7440215ae41e4d02eae9a1912",
		"33a6d4922a792c1b7244aa879fefdb4628dc8b0923568869a983b8c661ffab9b2ed2c149e38d41fba090b94155adbed32f8b18142ff0d7de4eeef2b04adf26f2456b46775c6c20b37602df7da179e2332feba8329bbb8d727a138b4ba7a5",
		"03215eda2ef1e953d89383a382c11d3f2cad37a4ee59a91236a3e56dcf89f6ac81dd4159989c317bd649d9cbc617f73fe10033bd288c60977481a09b343d3f676070e67da757b86de27bfca74392bac2996f7822a7d8f71a489ec6180390",
		"089ea80a8fcd6526413ec6c9a339115f111d78ef21d456660aa85f790910ffa2dc58d6a5b93705caef1091474938bd312427021ad1eeafbd19e0d916ddb111fabd8dcab5ad6a6ec3a9c6973809580cb2c164e26686b5b98cfb017a337968",
		"c7daaa14ae5152a067277b1b3902677d979f8e39cc2aafb3bc06fcf69160a853e6869dcc09a11b5009f91e6b89e5b927ab1527a735660faa6012b420dd926d940d742be6a64fb01cdc0cff9faa323f02ba41436871a0eab851e7f5782d10",
		"fbefde2a7e9ae9dc1e5c2c48f74f6c824ce9ef3c89f68800d44587bedc4ab417cfb3e7447d90e1e417e6e05d30e87239d3a5d1d45993d4461e60a0192831640aa32dedde185a371ded2ae15f8a93dba8809482ce49225daadfbb0fec629e",
		"23880789bdf9ed73be57fa84d555134630e8d0f7df48349f29869a477c13ccca9cd555ac42ad7f568416c3d61959d0ed568b2b81c7771e9088ad7fd55fd4386bafbf5a528c30f107139249357368ffa980de2c76ddd9ce4191376be0e6b5",
		"170010067e2e75ebe2d2904aeb1f89d5dc98cd4a6f2faaa8be6d03354c990fd895a97feb54668473e9d942bb99e196d897e8f1b01625cf48a7b78d249bb4985c065aa8cd1402ed2ba1b6f908f63dcd84b66425df00000000000000000000",
	}
	if len(frags) != len(want) {
		t.Fatalf("%d fragments, want %d", len(frags), len(want))
	}
	for i := range want {
		if got := hex.EncodeToString(frags[i]); got != want[i] {
			t.Errorf("fragment %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
}

func TestDegreeVector(t *testing.T) {
	want := []int{11, 3, 6, 5, 2, 1, 2, 11, 1, 3, 9, 10, 10, 4, 2, 1, 1, 2, 1, 1, 5, 2, 4, 10, 3, 2, 1, 1, 3, 11, 2, 6, 2, 9, 9, 2, 6, 7, 2, 5, 2, 4, 3, 1, 6, 11, 2, 11, 3, 1, 6, 3, 1, 4, 5, 3, 6, 1, 1, 3, 1, 2, 2, 1, 4, 5, 1, 1, 9, 1, 1, 6, 4, 1, 5, 1, 2, 2, 3, 1, 1, 5, 2, 6, 1, 7, 11, 1, 8, 1, 5, 1, 1, 2, 2, 6, 4, 10, 1, 2, 5, 5, 5, 1, 1, 4, 1, 1, 1, 3, 5, 5, 5, 1, 4, 3, 3, 5, 1, 11, 3, 2, 8, 1, 2, 1, 1, 4, 5, 2, 1, 1, 1, 5, 6, 11, 10, 7, 4, 7, 1, 5, 3, 1, 1, 9, 1, 2, 5, 5, 2, 2, 3, 10, 1, 3, 2, 3, 3, 1, 1, 2, 1, 3, 2, 2, 1, 3, 8, 4, 1, 11, 6, 3, 1, 1, 1, 1, 1, 3, 1, 2, 1, 10, 1, 1, 8, 2, 7, 1, 2, 1, 9, 2, 10, 2, 1, 3, 4, 10}
	deg := degreeSampler(11) // 1024 bytes in fragments of at most 100
	for nonce := 1; nonce <= len(want); nonce++ {
		rng := newXoshiro([]byte(fmt.Sprintf("Wolf-%d", nonce)))
		if got := deg.next(rng) + 1; got != want[nonce-1] {
			t.Errorf("degree %d = %d, want %d", nonce, got, want[nonce-1])
		}
	}
}

func TestChooseFragmentsVector(t *testing.T) {
	msg := makeMessage(1024, "Wolf")
	sum := crc32.ChecksumIEEE(msg)
	want := [][]int{{0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {9}, {2, 5, 6, 8, 9, 10}, {8}, {1, 5}, {1}, {0, 2, 4, 5, 8, 10}, {5}, {2}, {2}, {0, 1, 3, 4, 5, 7, 9, 10}, {0, 1, 2, 3, 5, 6, 8, 9, 10}, {0, 2, 4, 5, 7, 8, 9, 10}, {3, 5}, {4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {0, 1, 3, 4, 5, 6, 7, 9, 10}, {6}, {5, 6}, {7}}
	deg := degreeSampler(11)
	for i, w := range want {
		got := chooseFragments(uint32(i+1), 11, sum, deg)
		slices.Sort(got)
		if !slices.Equal(got, w) {
			t.Errorf("part %d: %v, want %v", i+1, got, w)
		}
	}
}

func TestFountainEncoderVector(t *testing.T) {
	want := []string{
		"8501091901001a0167aa07581d916ec65cf77cadf55cd7f9cda1a1030026ddd42e905b77adc36e4f2d3c",
		"8502091901001a0167aa07581dcba44f7f04f2de44f42d84c374a0e149136f25b01852545961d55f7f7a",
		"8503091901001a0167aa07581d8cde6d0e2ec43f3b2dcb644a2209e8c9e34af5c4747984a5e873c9cf5f",
		"8504091901001a0167aa07581d965e25ee29039fdf8ca74f1c769fc07eb7ebaec46e0695aea6cbd60b3e",
		"8505091901001a0167aa07581dc4bbff1b9ffe8a9e7240129377b9d3711ed38d412fbb4442256f1e6f59",
		"8506091901001a0167aa07581d5e0fc57fed451fb0a0101fb76b1fb1e1b88cfdfdaa946294a47de8fff1",
		"8507091901001a0167aa07581d73f021c0e6f65b05c0a494e50791270a0050a73ae69b6725505a2ec8a5",
		"8508091901001a0167aa07581d791457c9876dd34aadd192a53aa0dc66b556c0c215c7ceb8248b717c22",
		"8509091901001a0167aa07581d951e65305b56a3706e3e86eb01c803bbf915d80edcd64d4d0000000000",
		"850a091901001a0167aa07581d330f0f33a05eead4f331df229871bee733b50de71afd2e5a79f196de09",
		"850b091901001a0167aa07581d3b205ce5e52d8c24a52cffa34c564fa1af3fdffcd349dc4258ee4ee828",
		"850c091901001a0167aa07581ddd7bf725ea6c16d531b5f03254783803048ca08b87148daacd1cd7a006",
		"850d091901001a0167aa07581d760be7ad1c6187902bbc04f539b9ee5eb8ea6833222edea36031306c01",
		"850e091901001a0167aa07581d5bf4031217d2c3254b088fa7553778b5003632f46e21db129416f65b55",
		"850f091901001a0167aa07581d73f021c0e6f65b05c0a494e50791270a0050a73ae69b6725505a2ec8a5",
		"8510091901001a0167aa07581db8546ebfe2048541348910267331c643133f828afec9337c318f71b7df",
		"8511091901001a0167aa07581d23dedeea74e3a0fb052befabefa13e2f80e4315c9dceed4c8630612e64",
		"8512091901001a0167aa07581dd01a8daee769ce34b6b35d3ca0005302724abddae405bdb419c0a6b208",
		"8513091901001a0167aa07581d3171c5dc365766eff25ae47c6f10e7de48cfb8474e050e5fe997a6dc24",
		"8514091901001a0167aa07581de055c2433562184fa71b4be94f262e200f01c6f74c284b0dc6fae6673f",
	}
	e := newFountainEncoder(makeMessage(256, "Wolf"), 30, MinFragmentLen)
	for i, w := range want {
		p := e.next()
		if got := hex.EncodeToString(p.cbor()); got != w {
			t.Errorf("part %d:\n got %s\nwant %s", i+1, got, w)
		}
		q, err := parsePart(p.cbor())
		if err != nil || !bytes.Equal(q.cbor(), p.cbor()) {
			t.Errorf("part %d does not parse back: %v", i+1, err)
		}
	}
}

// TestFountainDecoderReference mirrors the reference's decoder test: a
// 32767-byte message in fragments of at most 1000 bytes, starting at
// sequence number 101 so that every part is mixed.
func TestFountainDecoderReference(t *testing.T) {
	msg := makeMessage(32767, "Wolf")
	e := newFountainEncoder(msg, 1000, MinFragmentLen)
	e.seqNum = 100
	var d *fountainDecoder
	n := 0
	for d == nil || !d.complete() {
		p := e.next()
		if d == nil {
			d = newFountainDecoder(p)
		}
		d.add(p)
		if n++; n > 10*e.seqLen() {
			t.Fatalf("not complete after %d mixed parts (seqLen %d, known %d)", n, e.seqLen(), d.rank())
		}
	}
	if !bytes.Equal(d.message(), msg) {
		t.Fatal("decoded message differs")
	}
	t.Logf("seqLen %d, mixed parts needed %d", e.seqLen(), n)
}
