package attachment

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Store keeps accepted files in Dir by their SHA-256 in lower-case hex:
// Dir/ab/cdef… (the first two digits name a folder). Files are 0600 and
// folders 0700.
type Store struct {
	Dir string
}

// Saved describes a stored file.
type Saved struct {
	SHA256 string
	Size   int64
	Kind   Kind
	MIME   string
}

// Save reads a file from r, at most limits.MaxBytes plus one byte to tell
// that it is too large, removes a document thumbnail with Clean, checks
// the result with Check and stores it. What is stored, and described by
// the SHA-256 and size returned, is the cleaned file, which differs from
// the upload when a thumbnail was removed. Storing the same content again
// changes nothing. A refused file leaves nothing on disk.
func (s *Store) Save(r io.Reader, limits Limits) (Saved, error) {
	limit := limits.maxBytes()
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return Saved{}, fmt.Errorf("attachment: read upload: %w", err)
	}
	if int64(len(b)) > limit {
		return Saved{}, refuse(ErrTooLarge, "more than %d bytes", limit)
	}
	if b, err = Clean(b); err != nil {
		return Saved{}, err
	}
	kind, mime, err := Check(b)
	if err != nil {
		return Saved{}, err
	}
	sum := sha256.Sum256(b)
	saved := Saved{SHA256: hex.EncodeToString(sum[:]), Size: int64(len(b)), Kind: kind, MIME: mime}
	if err := s.write(saved.SHA256, b); err != nil {
		return Saved{}, err
	}
	return saved, nil
}

// write stores b under sha: into a temporary file in the final folder,
// synced, then renamed, so that a crash leaves either no file or the whole
// file, never part of one.
func (s *Store) write(sha string, b []byte) (err error) {
	dir := filepath.Join(s.Dir, sha[:2])
	final := filepath.Join(dir, sha[2:])
	if fi, err := os.Lstat(final); err == nil && fi.Mode().IsRegular() && fi.Size() == int64(len(b)) {
		return nil // already stored
	}
	_, statErr := os.Stat(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("attachment: store %s: %w", sha, err)
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("attachment: store %s: %w", sha, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("attachment: store %s: %w", sha, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("attachment: store %s: %w", sha, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("attachment: store %s: %w", sha, err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("attachment: store %s: %w", sha, err)
	}
	// Make the new names durable too.
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("attachment: store %s: %w", sha, err)
	}
	if statErr != nil {
		if err := syncDir(s.Dir); err != nil {
			return fmt.Errorf("attachment: store %s: %w", sha, err)
		}
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// Open opens the stored file with the SHA-256 sha, which must be 64
// lower-case hex digits. A file that is not stored gives an error
// matching fs.ErrNotExist.
func (s *Store) Open(sha string) (*os.File, error) {
	if !validSHA(sha) {
		return nil, fmt.Errorf("attachment: open %q: not a SHA-256 in lower-case hex: %w", sha, fs.ErrInvalid)
	}
	// OpenInRoot also refuses symbolic links that lead out of Dir.
	f, err := os.OpenInRoot(s.Dir, filepath.Join(sha[:2], sha[2:]))
	if err != nil {
		return nil, fmt.Errorf("attachment: open %s: %w", sha, err)
	}
	return f, nil
}

func validSHA(sha string) bool {
	if len(sha) != 2*sha256.Size {
		return false
	}
	for _, c := range []byte(sha) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
