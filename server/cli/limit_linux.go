package cli

import "syscall"

// limitMemory caps the PDF child's address space at 2 GiB, so a file
// crafted to exhaust memory fails the child, not the machine.
func limitMemory() {
	lim := uint64(2 << 30)
	syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: lim})
}
