package main

// BenchmarkQREncode measures what 'coldsig qr encode' costs an officer's
// laptop: the peak resident memory of the real binary (the kernel's
// ru_maxrss of the child process, which counts every page the process ever
// had resident, Go runtime included) and the time per frame, for payloads
// of 30 KB, 134 KB (an ECDSA keygen round-1 broadcast) and 240 KB (a
// reshare envelope), written as PNG images and as one GIF. The payloads are
// random bytes (the frames do not depend on what the bytes mean) from fixed
// seeds. Peak memory is measured as rss_test.go explains (an upper bound,
// within the launcher's few MB). Run with: make bench, or
//
//	go test ./cmd/coldsig -run '^$' -bench BenchmarkQREncode -benchtime=1x

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"
)

func BenchmarkQREncode(b *testing.B) {
	bin := coldsigBinary(b)
	for _, size := range []int{30_000, 134_000, 240_000} {
		for _, format := range []string{"png", "gif"} {
			b.Run(fmt.Sprintf("%dKB-%s", size/1000, format), func(b *testing.B) {
				dir := b.TempDir()
				payload := filepath.Join(dir, "payload")
				r := rand.New(rand.NewPCG(uint64(size), 16))
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(r.Uint32())
				}
				if err := os.WriteFile(payload, data, 0o600); err != nil {
					b.Fatal(err)
				}
				var rss, frames int64
				var wall, cpu time.Duration
				for i := 0; i < b.N; i++ {
					out := filepath.Join(dir, fmt.Sprintf("out%d", i))
					m, n := measureEncode(b, bin, "qr", "encode", payload, "-o", out, "--"+format)
					rss = max(rss, m.maxRSS)
					wall += m.wall
					cpu += m.cpu
					frames += n
					os.RemoveAll(out)
				}
				b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MB")
				b.ReportMetric(float64(wall.Milliseconds())/float64(frames), "ms/frame")
				b.ReportMetric(float64(cpu.Milliseconds())/float64(frames), "cpu-ms/frame")
				b.ReportMetric(float64(frames)/float64(b.N), "frames")
			})
		}
	}
}

var framesWritten = regexp.MustCompile(`(?:wrote|GIF of) (\d+) (?:PNG )?frames`)

// measureEncode runs the binary through the RSS launcher (rss_test.go) and
// reads the frame count from its output.
func measureEncode(b *testing.B, bin string, args ...string) (processCost, int64) {
	var out bytes.Buffer
	m := measureRSS(b, nil, &out, &out, bin, args...)
	if m.code != 0 {
		b.Fatalf("%v: exit %d\n%s", args, m.code, out.Bytes())
	}
	s := framesWritten.FindSubmatch(out.Bytes())
	if s == nil {
		b.Fatalf("no frame count in %q", out.Bytes())
	}
	n, _ := strconv.ParseInt(string(s[1]), 10, 64)
	return m, n
}
