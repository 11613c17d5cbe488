package main

// BenchmarkQREncode measures what 'coldsig qr encode' costs an officer's
// laptop: the peak resident memory of the real binary (the kernel's
// ru_maxrss of the child process, which counts every page the process ever
// had resident, Go runtime included) and the time per frame, for payloads
// of 30 KB, 134 KB (an ECDSA keygen round-1 broadcast) and 240 KB (a
// reshare envelope), written as PNG images and as one GIF. The payloads are
// random bytes (the frames do not depend on what the bytes mean) from fixed
// seeds. Run with: make bench, or
//
//	go test ./cmd/coldsig -run '^$' -bench BenchmarkQREncode -benchtime=1x

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
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
					m, err := measureProcess(bin, "qr", "encode", payload, "-o", out, "--"+format)
					if err != nil {
						b.Fatal(err)
					}
					rss = max(rss, m.maxRSS)
					wall += m.wall
					cpu += m.cpu
					frames += m.frames
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

type processCost struct {
	maxRSS    int64 // bytes
	wall, cpu time.Duration
	frames    int64
}

var framesWritten = regexp.MustCompile(`(?:wrote|GIF of) (\d+) (?:PNG )?frames`)

// measureProcess runs the binary and reads its peak RSS from wait4's
// rusage (Linux reports ru_maxrss in KiB).
func measureProcess(bin string, args ...string) (processCost, error) {
	cmd := exec.Command(bin, args...)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	wall := time.Since(start)
	if err != nil {
		return processCost{}, fmt.Errorf("%v: %v\n%s", args, err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return processCost{}, fmt.Errorf("no rusage on this system")
	}
	m := processCost{
		maxRSS: ru.Maxrss << 10,
		wall:   wall,
		cpu:    cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(),
	}
	if s := framesWritten.FindSubmatch(out); s != nil {
		m.frames, _ = strconv.ParseInt(string(s[1]), 10, 64)
	}
	if m.frames == 0 {
		return m, fmt.Errorf("no frame count in %q", out)
	}
	return m, nil
}
