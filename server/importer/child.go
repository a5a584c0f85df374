package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// childAnswer is what the PDF child process writes on standard output.
type childAnswer struct {
	Extracted Extracted
	Error     string
}

// ChildPDF returns a PDF reader that runs `name args… FILE` (this program
// again, with its hidden subcommand) and kills it after timeout. A PDF
// library that panics, loops or exhausts memory on a hostile file then
// costs one child process, never the import or the server.
func ChildPDF(name string, args []string, env []string, timeout time.Duration) func(ctx context.Context, path string) (Extracted, error) {
	return func(ctx context.Context, path string) (Extracted, error) {
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, append(append([]string{}, args...), path)...)
		cmd.Env = append(os.Environ(), env...)
		cmd.WaitDelay = time.Second
		out, err := cmd.Output()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Extracted{}, fmt.Errorf("reading the PDF took longer than %s; skipped", timeout)
		}
		var a childAnswer
		if jerr := json.Unmarshal(out, &a); jerr != nil {
			if err != nil {
				return Extracted{}, fmt.Errorf("the PDF reader failed: %v", err)
			}
			return Extracted{}, fmt.Errorf("the PDF reader failed: %v", jerr)
		}
		if a.Error != "" {
			return Extracted{}, errors.New(a.Error)
		}
		return a.Extracted, nil
	}
}

// ServeChild is the child's side: read the file, extract its text, answer
// in JSON on w.
func ServeChild(w io.Writer, path string) error {
	var a childAnswer
	if b, err := readFile(path); err != nil {
		a.Error = err.Error()
	} else if e, err := PDFText(b); err != nil {
		a.Error = err.Error()
	} else {
		a.Extracted = e
	}
	return json.NewEncoder(w).Encode(a)
}
