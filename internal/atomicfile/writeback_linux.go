package atomicfile

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing f's dirty pages now,
// without waiting (sync_file_range SYNC_FILE_RANGE_WRITE, which makes no
// promise of durability: the fsync in Group.Sync does). Writeback of every
// file of a group is then in flight, and allocated, before the first fsync
// waits, so the file system can put the whole group in one journal commit
// even when the fsync threads cannot all run at once (two busy cores). A
// failure here only loses that head start.
func startWriteback(f *os.File) {
	sc, err := f.SyscallConn()
	if err != nil {
		return
	}
	sc.Control(func(fd uintptr) {
		unix.SyncFileRange(int(fd), 0, 0, unix.SYNC_FILE_RANGE_WRITE)
	})
}
