//go:build !linux

package cli

// limitMemory is a no-op where the address space cannot be capped; the
// child's time limit still holds.
func limitMemory() {}
