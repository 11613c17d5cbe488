package qr

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// Published UR strings of the reference implementation (test_single_part_ur
// and test_ur_encoder, as in the current Rust `ur` crate and the JS, Python
// and Swift ports): a ur:bytes holding makeMessage(n, "Wolf") as a CBOR byte
// string. Some old copies of these tests show "lt..." where every current
// implementation has "lp..." (CBOR 0x85): they predate the final bytewords
// list and do not decode with it.
const refSinglePart = "ur:bytes/hdeymejtswhhylkepmykhhtsytsnoyoyaxaedsuttydmmhhpktpmsrjtgwdpfnsboxgwlbaawzuefywkdplrsrjynbvygabwjldapfcsdwkbrkch"

var refMultipart = []string{
	"ur:bytes/1-9/lpadascfadaxcywenbpljkhdcahkadaemejtswhhylkepmykhhtsytsnoyoyaxaedsuttydmmhhpktpmsrjtdkgslpgh",
	"ur:bytes/2-9/lpaoascfadaxcywenbpljkhdcagwdpfnsboxgwlbaawzuefywkdplrsrjynbvygabwjldapfcsgmghhkhstlrdcxaefz",
	"ur:bytes/3-9/lpaxascfadaxcywenbpljkhdcahelbknlkuejnbadmssfhfrdpsbiegecpasvssovlgeykssjykklronvsjksopdzmol",
	"ur:bytes/4-9/lpaaascfadaxcywenbpljkhdcasotkhemthydawydtaxneurlkosgwcekonertkbrlwmplssjtammdplolsbrdzcrtas",
	"ur:bytes/5-9/lpahascfadaxcywenbpljkhdcatbbdfmssrkzmcwnezelennjpfzbgmuktrhtejscktelgfpdlrkfyfwdajldejokbwf",
	"ur:bytes/6-9/lpamascfadaxcywenbpljkhdcackjlhkhybssklbwefectpfnbbectrljectpavyrolkzczcpkmwidmwoxkilghdsowp",
	"ur:bytes/7-9/lpatascfadaxcywenbpljkhdcavszmwnjkwtclrtvaynhpahrtoxmwvwatmedibkaegdosftvandiodagdhthtrlnnhy",
	"ur:bytes/8-9/lpayascfadaxcywenbpljkhdcadmsponkkbbhgsoltjntegepmttmoonftnbuoiyrehfrtsabzsttorodklubbuyaetk",
	"ur:bytes/9-9/lpasascfadaxcywenbpljkhdcajskecpmdckihdyhphfotjojtfmlnwmadspaxrkytbztpbauotbgtgtaeaevtgavtny",
	"ur:bytes/10-9/lpbkascfadaxcywenbpljkhdcahkadaemejtswhhylkepmykhhtsytsnoyoyaxaedsuttydmmhhpktpmsrjtwdkiplzs",
	"ur:bytes/11-9/lpbdascfadaxcywenbpljkhdcahelbknlkuejnbadmssfhfrdpsbiegecpasvssovlgeykssjykklronvsjkvetiiapk",
	"ur:bytes/12-9/lpbnascfadaxcywenbpljkhdcarllaluzmdmgstospeyiefmwejlwtpedamktksrvlcygmzemovovllarodtmtbnptrs",
	"ur:bytes/13-9/lpbtascfadaxcywenbpljkhdcamtkgtpknghchchyketwsvwgwfdhpgmgtylctotzopdrpayoschcmhplffziachrfgd",
	"ur:bytes/14-9/lpbaascfadaxcywenbpljkhdcapazewnvonnvdnsbyleynwtnsjkjndeoldydkbkdslgjkbbkortbelomueekgvstegt",
	"ur:bytes/15-9/lpbsascfadaxcywenbpljkhdcaynmhpddpzmversbdqdfyrehnqzlugmjzmnmtwmrouohtstgsbsahpawkditkckynwt",
	"ur:bytes/16-9/lpbeascfadaxcywenbpljkhdcawygekobamwtlihsnpalnsghenskkiynthdzotsimtojetprsttmukirlrsbtamjtpd",
	"ur:bytes/17-9/lpbyascfadaxcywenbpljkhdcamklgftaxykpewyrtqzhydntpnytyisincxmhtbceaykolduortotiaiaiafhiaoyce",
	"ur:bytes/18-9/lpbgascfadaxcywenbpljkhdcahkadaemejtswhhylkepmykhhtsytsnoyoyaxaedsuttydmmhhpktpmsrjtntwkbkwy",
	"ur:bytes/19-9/lpbwascfadaxcywenbpljkhdcadekicpaajootjzpsdrbalpeywllbdsnbinaerkurspbncxgslgftvtsrjtksplcpeo",
	"ur:bytes/20-9/lpbbascfadaxcywenbpljkhdcayapmrleeleaxpasfrtrdkncffwjyjzgyetdmlewtkpktgllepfrltataztksmhkbot",
}

func TestURReferenceEncode(t *testing.T) {
	e, err := NewEncoder(makeMessage(50, "Wolf"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.Next(); got != strings.ToUpper(refSinglePart) {
		t.Errorf("single part:\n got %s\nwant %s", got, strings.ToUpper(refSinglePart))
	}
	e, err = NewEncoder(makeMessage(256, "Wolf"), &Options{MaxFragmentLen: 30})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range refMultipart {
		if got := e.Next(); got != strings.ToUpper(want) {
			t.Errorf("part %d:\n got %s\nwant %s", i+1, got, strings.ToUpper(want))
		}
	}
}

func TestURReferenceDecode(t *testing.T) {
	var d Decoder
	if _, err := d.Add(refSinglePart); err != nil {
		t.Fatal(err)
	}
	got, err := d.Result()
	if err != nil || !bytes.Equal(got, makeMessage(50, "Wolf")) {
		t.Fatalf("single part: %x, %v", got, err)
	}
	want := makeMessage(256, "Wolf")
	// Every order and every subset that the reference parts allow: here,
	// the mixed parts alone, backwards.
	d = Decoder{}
	for i := len(refMultipart) - 1; i >= 9 && !d.Complete(); i-- {
		if _, err := d.Add(refMultipart[i]); err != nil {
			t.Fatalf("part %d: %v", i+1, err)
		}
	}
	if !d.Complete() {
		// The 11 mixed parts do not cover all fragments; finish with the
		// pure ones and check the result.
		for i := 8; i >= 0 && !d.Complete(); i-- {
			if _, err := d.Add(refMultipart[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	got, err = d.Result()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("multipart: %x, %v", got, err)
	}
}

func randomPayload(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestRoundTripSizes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{0, 1, 2, 100, 290, 291, 300, 1000, 4096, 30000, 134000, 200000} {
		payload := randomPayload(r, n)
		frames, err := Encode(payload, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Shuffle and feed until complete.
		r.Shuffle(len(frames), func(i, j int) { frames[i], frames[j] = frames[j], frames[i] })
		var d Decoder
		for _, f := range frames {
			if len(f) > 700 {
				t.Fatalf("%d bytes: frame of %d characters", n, len(f))
			}
			if _, err := d.Add(f); err != nil {
				t.Fatalf("%d bytes: %v", n, err)
			}
			if d.Complete() {
				break
			}
		}
		got, err := d.Result()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("%d bytes: round trip failed: %v", n, err)
		}
	}
}

func TestLoss25(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for trial := 0; trial < 20; trial++ {
		payload := randomPayload(r, 20000+r.IntN(20000))
		frames, err := Encode(payload, &Options{Redundancy: 1})
		if err != nil {
			t.Fatal(err)
		}
		var d Decoder
		for _, f := range frames {
			if r.Float64() < 0.25 {
				continue
			}
			if _, err := d.Add(f); err != nil {
				t.Fatal(err)
			}
		}
		got, err := d.Result()
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("trial %d: %d frames, 25%% dropped: %v", trial, len(frames), err)
		}
	}
}

func TestMixedPayloadsRefused(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	a, b := randomPayload(r, 5000), randomPayload(r, 5000)
	fa, _ := Encode(a, nil)
	fb, _ := Encode(b, nil)
	var d Decoder
	for i := 0; !d.Complete(); i++ {
		if i > 0 {
			if _, err := d.Add(fb[i]); !errors.Is(err, ErrOtherPayload) {
				t.Fatalf("frame of the other payload: %v", err)
			}
		}
		if _, err := d.Add(fa[i]); err != nil {
			t.Fatal(err)
		}
	}
	got, err := d.Result()
	if err != nil || !bytes.Equal(got, a) {
		t.Fatalf("%v", err)
	}
	// A single-part UR of another payload is refused too.
	small, _ := Encode([]byte("other"), nil)
	d = Decoder{}
	d.Add(fa[0])
	if _, err := d.Add(small[0]); !errors.Is(err, ErrOtherPayload) {
		t.Fatalf("single part of another payload: %v", err)
	}
}

func TestEncodeTooLarge(t *testing.T) {
	if _, err := Encode(make([]byte, MaxPayload+1), nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v", err)
	}
}

// TestAnyOneMayBeLost drops each frame in turn, for payloads of one to a
// few hundred fragments, and checks the rest still rebuild the payload.
func TestAnyOneMayBeLost(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{1, 10, 999, 1000, 1001, 2500, 4000, 4100, 35000, 120000} {
		payload := randomPayload(r, n)
		opts := &Options{MaxFragmentLen: 1000, Redundancy: 0.25, AnyOneMayBeLost: true}
		enc, err := NewEncoder(payload, opts)
		if err != nil {
			t.Fatal(err)
		}
		frames := enc.Frames()
		if want := enc.SeqLen() + max(1, (enc.SeqLen()+3)/4); len(frames) != want {
			t.Errorf("%d bytes: %d frames for %d fragments, want %d", n, len(frames), enc.SeqLen(), want)
		}
		for lost := range frames {
			var d Decoder
			for i, f := range frames {
				if i == lost {
					continue
				}
				if _, err := d.Add(f); err != nil {
					t.Fatalf("%d bytes: %v", n, err)
				}
			}
			if got, err := d.Result(); err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("%d bytes, %d frames: without frame %d: %v", n, len(frames), lost+1, err)
			}
		}
	}
}

func TestZeroRedundancy(t *testing.T) {
	enc, err := NewEncoder(make([]byte, 3000), &Options{Redundancy: 0})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(enc.Frames()); got != enc.SeqLen() {
		t.Fatalf("redundancy 0: %d frames for %d fragments", got, enc.SeqLen())
	}
	if _, err := NewEncoder(nil, &Options{Redundancy: -1}); err == nil {
		t.Fatal("negative redundancy accepted")
	}
}
