package cli

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/config"
	"github.com/polis-portal/polis/server/store"
)

// manifest describes a backup archive.
type manifest struct {
	Polis    string `json:"polis"` // "backup/1"
	Created  string `json:"created"`
	Backend  string `json:"backend"`
	Schema   int    `json:"schema"`
	Database bool   `json:"database"` // the archive holds polis.db
}

const manifestName = "polis-backup.json"

// runBackup is `polis backup --out FILE`: one .tar.gz with the database
// (SQLite, copied online), the attachments, the data folder's secrets and
// the content folder. With PostgreSQL the database is left to pg_dump.
func runBackup(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "backup", "Write one .tar.gz archive with the SQLite database (copied while the server runs), the\nattachments, the secrets of the data folder (the key that unseals two-step secrets) and the\ncontent folder. With PostgreSQL, back the database up with pg_dump (docs/deployment.md); the\narchive then holds the rest. Keep backups as safe as the server: they hold personal data and keys.")
	cfg.Bind(fs, "data", "db", "site", "attachments")
	out := fs.String("out", "", "the archive to write (must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errUsage
	}
	if err := settle(fs, &cfg, env); err != nil {
		return err
	}
	st, err := store.Open(ctx, dsnFor(cfg))
	if err != nil {
		return err
	}
	defer st.Close()
	schema, err := st.Version(ctx)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(*out)
		}
	}()
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	m := manifest{Polis: "backup/1", Created: time.Now().UTC().Format(time.RFC3339), Backend: st.Dialect(), Schema: schema}
	if st.Dialect() == "sqlite" {
		tmp, err := os.MkdirTemp("", "polis-backup-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		db := filepath.Join(tmp, "polis.db")
		if err := st.BackupTo(ctx, db); err != nil {
			return err
		}
		if err := addFile(tw, db, "polis.db"); err != nil {
			return err
		}
		m.Database = true
	}
	for _, part := range []struct{ dir, name string }{
		{cfg.Attachments, "attachments"},
		{filepath.Join(cfg.Data, "secrets"), "secrets"},
		{filepath.Join(cfg.Site, "content"), "content"},
	} {
		if err := addTree(tw, part.dir, part.name); err != nil {
			return err
		}
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: manifestName, Mode: 0o600, Size: int64(len(b)), ModTime: time.Now()}); err != nil {
		return err
	}
	if _, err := tw.Write(b); err != nil {
		return err
	}
	for _, c := range []io.Closer{tw, gz, f} {
		if err := c.Close(); err != nil {
			return err
		}
	}
	ok = true
	fmt.Fprintf(env.Stdout, "backup written: %s (%s database%s)\n", *out, m.Backend, map[bool]string{true: " included", false: " not included: use pg_dump"}[m.Database])
	return nil
}

func addFile(tw *tar.Writer, file, name string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}

// addTree adds a folder's regular files under name (nothing if it does
// not exist).
func addTree(tw *tar.Writer, dir, name string) error {
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		return addFile(tw, p, path.Join(name, filepath.ToSlash(rel)))
	})
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// runRestore is `polis restore --data DIR FILE`: unpacks a backup into an
// empty data folder (and the content folder into --content when given).
func runRestore(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "restore", "Unpack a backup archive into an empty data folder: the SQLite database, the attachments and\nthe secrets; the content folder into --content when given. With PostgreSQL, restore the\ndatabase with pg_restore first (docs/deployment.md).\n\nUsage: polis restore --data DIR [--content DIR] FILE")
	data := fs.String("data", "", "the data folder to fill (must be empty or absent)")
	content := fs.String("content", "", "where to put the backed-up content folder (must be empty or absent); empty: leave it out")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if *data == "" || fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	for _, dir := range []string{*data, *content} {
		if dir == "" {
			continue
		}
		if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
			return fmt.Errorf("%s is not empty: restore into an empty folder", dir)
		}
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("not a backup archive: %w", err)
	}
	tr := tar.NewReader(gz)
	var m manifest
	files := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("backup archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		if strings.HasPrefix(name, "../") || path.IsAbs(name) || name == ".." {
			return fmt.Errorf("backup archive: unsafe name %q", h.Name)
		}
		var target string
		mode := os.FileMode(0o600)
		switch top, _, _ := strings.Cut(name, "/"); {
		case name == manifestName:
			if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
				return fmt.Errorf("backup manifest: %w", err)
			}
			continue
		case name == "polis.db" || top == "attachments" || top == "secrets":
			target = filepath.Join(*data, filepath.FromSlash(name))
		case top == "content" && *content != "":
			target = filepath.Join(*content, filepath.FromSlash(strings.TrimPrefix(name, "content/")))
			mode = 0o644
		default:
			continue
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return err
		}
		if err := out.Close(); err != nil {
			return err
		}
		files++
	}
	if m.Polis != "backup/1" {
		return errors.New("backup archive: no manifest; not a Polis backup")
	}
	if m.Database {
		// Open it once: it is checked and, if this version's schema is
		// newer, migrated.
		st, err := store.Open(ctx, store.SQLiteDSN(filepath.Join(*data, "polis.db")))
		if err != nil {
			return fmt.Errorf("restored database: %w", err)
		}
		st.Close()
	}
	fmt.Fprintf(env.Stdout, "restored %d files from a %s backup of %s into %s\n", files, m.Backend, m.Created, *data)
	return nil
}
