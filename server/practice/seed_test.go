package practice

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/store"
)

var langs = []string{"en", "fr", "de", "it", "ru", "es"}

// item is a valid seed file with fields that a case can replace.
func item(fields map[string]string, body string) string {
	f := map[string]string{
		"title":          `"Checklist for hotline analysts"`,
		"summary":        `"What to record when assessing a report."`,
		"kind":           `"checklist"`,
		"topics":         `["hotline-and-takedown"]`,
		"audience":       `"public"`,
		"languages":      `["en"]`,
		"date":           `2026-11-23`,
		"translationKey": `"practice-SLUG"`,
	}
	for k, v := range fields {
		f[k] = v
	}
	var b strings.Builder
	b.WriteString("+++\n")
	for _, k := range []string{"title", "summary", "kind", "topics", "audience", "languages", "date", "translationKey"} {
		if f[k] != "" {
			b.WriteString(k + " = " + f[k] + "\n")
		}
	}
	b.WriteString("[source]\norganisation = \"Example Hotline Network\"\nsymbol = \"\"\nyear = 2024\ntitle = \"Annual report\"\n")
	url := f["url"]
	if url == "" {
		url = `"https://example.org/report"`
	}
	b.WriteString("url = " + url + "\n")
	b.WriteString(f["extra"])
	b.WriteString("+++\n" + body + "\n")
	return b.String()
}

func write(t *testing.T, dir, lang, slug, text string) string {
	t.Helper()
	p := filepath.Join(dir, lang, "practices", slug+".md")
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "SLUG", slug)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSeedValidationNamesTheFile: each kind of mistake is refused with the
// file's path and what is wrong; the valid items still load.
func TestSeedValidationNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	good := write(t, dir, "en", "good-item", item(nil, "A body."))
	cases := []struct {
		slug, text, want string
	}{
		{"no-title", item(map[string]string{"title": `""`}, "Body."), "missing required field title"},
		{"bad-topic", item(map[string]string{"topics": `["cooking"]`}, "Body."), `unknown topic "cooking"`},
		{"bad-url", item(map[string]string{"url": `"http://example.org/x"`}, "Body."), "must be an absolute https:// link"},
		{"relative-url", item(map[string]string{"url": `"/docs/x"`}, "Body."), "must be an absolute https:// link"},
		{"experts-open", item(map[string]string{"audience": `"experts"`}, "Body."), "needs [build] render"},
		{"bad-kind", item(map[string]string{"kind": `"poem"`}, "Body."), `kind "poem"`},
		{"no-body", item(nil, ""), "body (after the front matter) is empty"},
		{"tool-public", item(map[string]string{"kind": `"tool"`, "extra": "[tool]\npurpose = \"x\"\nlicence = \"free\"\nobtain = \"y\"\nmaintainer = \"z\"\n"}, "Body."), "tools are for experts only"},
		{"bad-field", item(map[string]string{"extra": "colour = \"red\"\n"}, "Body."), "unknown field"},
		{"Bad_Name", item(nil, "Body."), "file name must be lower-case"},
	}
	paths := map[string]string{}
	for _, c := range cases {
		paths[c.slug] = write(t, dir, "en", c.slug, c.text)
	}
	// A French translation of an experts-only item that would be published.
	expertsOK := item(map[string]string{"audience": `"experts"`, "extra": "[build]\nrender = \"never\"\nlist = \"never\"\n"}, "Body.")
	write(t, dir, "en", "secret-method", expertsOK)
	frLeak := write(t, dir, "fr", "secret-method", item(map[string]string{"audience": `"experts"`}, "Corps."))
	orphan := write(t, dir, "ru", "only-russian", item(nil, "Текст."))

	seeds, err := LoadSeeds(dir, langs)
	if err == nil {
		t.Fatal("no error for bad seed files")
	}
	msg := err.Error()
	for _, c := range cases {
		line := ""
		for _, l := range strings.Split(msg, "\n") {
			if strings.Contains(l, paths[c.slug]+":") && strings.Contains(l, c.want) {
				line = l
			}
		}
		if line == "" {
			t.Errorf("%s: no line naming %s with %q in:\n%s", c.slug, paths[c.slug], c.want, msg)
		}
	}
	for _, want := range []string{frLeak + ": a translation of an experts-only item needs [build]", orphan + ": no en version"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, good) {
		t.Errorf("the valid file is blamed:\n%s", msg)
	}
	if len(seeds) != 1 || seeds[0].Item.Slug != "good-item" {
		t.Errorf("valid seeds: %d", len(seeds))
	}
}

// TestSyncKeepsWebEdits: new seeds are added; changed files update items
// nobody edited on the web; a web edit is never overwritten by the files.
func TestSyncKeepsWebEdits(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(context.Background(), store.SQLiteDSN(filepath.Join(t.TempDir(), "p.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	now := time.Now()
	write(t, dir, "en", "alpha", item(nil, "First text."))
	write(t, dir, "en", "beta", item(nil, "Beta text."))
	write(t, dir, "fr", "alpha", item(map[string]string{"title": `"Liste pour les analystes"`}, "Premier texte."))
	sync := func() (int, int) {
		seeds, err := LoadSeeds(dir, langs)
		if err != nil {
			t.Fatal(err)
		}
		a, u, err := Sync(ctx, st, seeds, now, log)
		if err != nil {
			t.Fatal(err)
		}
		return a, u
	}
	if a, u := sync(); a != 2 || u != 0 {
		t.Fatalf("first sync: %d added, %d updated", a, u)
	}
	if a, u := sync(); a != 0 || u != 0 {
		t.Errorf("second sync changed %d/%d", a, u)
	}
	p, _ := st.PracticeBySlug(ctx, "alpha", []string{"public"})
	if p.Texts["fr"].Title != "Liste pour les analystes" || p.Texts["en"].Body != "First text." {
		t.Errorf("texts: %+v", p.Texts)
	}
	write(t, dir, "en", "alpha", item(nil, "Second text."))
	if _, u := sync(); u != 1 {
		t.Errorf("changed file: %d updated", u)
	}
	// Staff edit beta on the web; a later change of its file is not applied.
	b, _ := st.PracticeBySlug(ctx, "beta", []string{"public"})
	b.Texts["en"] = store.PracticeText{Title: b.Texts["en"].Title, Summary: "Edited on the web.", Body: "Web body."}
	b.UpdatedAt = now.Unix()
	if err := st.SavePractice(ctx, b, 1, "web edit"); err == nil {
		t.Fatal("a revision by a user that does not exist was accepted") // the foreign key holds
	}
	u := &store.User{Email: "staff@unit.example", FullName: "Staff Member", Organisation: "Polis", Country: "FR", Function: "Editor",
		Role: store.RoleModerator, Status: store.StatusApproved, PasswordHash: "x", Lang: "en", CreatedAt: now.Unix()}
	if err := st.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := st.SavePractice(ctx, b, u.ID, "web edit"); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "en", "beta", item(nil, "Seed change after the web edit."))
	if _, u := sync(); u != 0 {
		t.Errorf("the seed overwrote a web edit")
	}
	b, _ = st.PracticeBySlug(ctx, "beta", []string{"public"})
	if b.Texts["en"].Body != "Web body." {
		t.Errorf("body after sync: %q", b.Texts["en"].Body)
	}
	revs, err := st.PracticeRevisions(ctx, b.ID)
	if err != nil || len(revs) != 2 || revs[0].SavedBy != "Staff Member" || revs[1].SavedBy != "" || revs[0].Note != "web edit" {
		t.Errorf("revisions: %+v %v", revs, err)
	}
}

func TestLoadContactPoints(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "cp.toml")
	good := "[[country]]\ncode = \"FR\"\nunit = \"Example unit\"\nunit_url = \"https://example.org/unit\"\ninterpol = \"member\"\neuropol = \"member\"\nbudapest = \"party\"\nsources = [\"https://example.org/unit\"]\n" +
		"[[country]]\ncode = \"MN\"\nunit = \"unknown\"\ninterpol = \"member\"\neuropol = \"unknown\"\nbudapest = \"unknown\"\n"
	os.WriteFile(file, []byte(good), 0o644)
	cps, err := LoadContactPoints(file)
	if err != nil || len(cps) != 2 || cps[0].UnitURL != "https://example.org/unit" {
		t.Fatalf("%v %+v", err, cps)
	}
	for _, bad := range []struct{ text, want string }{
		{strings.Replace(good, `"FR"`, `"XX"`, 1), "not an OSCE"},
		{strings.Replace(good, `"https://example.org/unit"`, `"http://example.org/unit"`, 1), "https://"},
		{strings.Replace(good, `europol = "member"`, `europol = "friend"`, 1), "outside the list"},
		{strings.Replace(good, `sources = ["https://example.org/unit"]`, ``, 1), "needs a source"},
		{good + "[[country]]\ncode = \"FR\"\nunit = \"unknown\"\ninterpol = \"member\"\neuropol = \"member\"\nbudapest = \"party\"\n", "listed twice"},
	} {
		os.WriteFile(file, []byte(bad.text), 0o644)
		if _, err := LoadContactPoints(file); err == nil || !strings.Contains(err.Error(), bad.want) || !strings.Contains(err.Error(), file) {
			t.Errorf("want %q naming the file, got %v", bad.want, err)
		}
	}
}
