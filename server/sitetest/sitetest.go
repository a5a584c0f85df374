// Package sitetest gives tests the real site: the repository's sources,
// copied into a temporary folder when a test changes them, and built with
// the real Hugo once per test binary.
package sitetest

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/polis-portal/polis/server/site"
)

// Root returns the repository root: the nearest folder above the working
// directory that holds go.mod and config.toml.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "config.toml")) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("sitetest: repository root not found")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// CopySite copies the site sources (config.toml, content, i18n, themes) of
// the repository into a new temporary folder and returns it.
func CopySite(t testing.TB) string {
	t.Helper()
	root := Root(t)
	dst := t.TempDir()
	for _, name := range []string{"config.toml", "content", "i18n", "themes"} {
		if err := copyTree(filepath.Join(root, name), filepath.Join(dst, name)); err != nil {
			t.Fatalf("sitetest: copy %s: %v", name, err)
		}
	}
	return dst
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

// Built returns a folder holding the repository's site as built by Hugo,
// made once per test binary. The build reads the repository's sources and
// writes only into a temporary folder.
func Built(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "polis-site-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "public")
		buildErr = site.Build(Root(t), built, site.BuildOptions{})
	})
	if buildErr != nil {
		t.Fatalf("sitetest: build: %v", buildErr)
	}
	return built
}

// Cleanup removes the folder made by Built; call it from TestMain.
func Cleanup() {
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
}

// BuildVariant copies the site, lets edit change the copy, and builds it.
// It returns the copy's folder and its built public folder.
func BuildVariant(t testing.TB, edit func(src string)) (src, public string) {
	t.Helper()
	src = CopySite(t)
	edit(src)
	public = filepath.Join(t.TempDir(), "public")
	if err := site.Build(src, public, site.BuildOptions{}); err != nil {
		t.Fatalf("sitetest: build variant: %v", err)
	}
	return src, public
}
