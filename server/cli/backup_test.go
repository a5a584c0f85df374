package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/polis-portal/polis/server/attachment"
	"github.com/polis-portal/polis/server/sitetest"
	"github.com/polis-portal/polis/server/store"
)

// TestBackupAndRestore: a backup taken while the database is open,
// restored into an empty data folder, has every user, post and attachment
// (and the secrets and the content); restoring over data is refused
// (issue 9).
func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	src := sitetest.CopySite(t)
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(filepath.Join(data, "secrets"), 0o700)
	os.WriteFile(filepath.Join(data, "secrets", "session.key"), []byte(strings.Repeat("k", 64)), 0o600)
	st, err := store.Open(ctx, store.SQLiteDSN(filepath.Join(data, "polis.db")))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	var users []int64
	for _, email := range []string{"a@unit.example", "b@unit.example", "c@unit.example"} {
		u := &store.User{Email: email, FullName: "Member", Role: store.RoleExpert, Status: store.StatusApproved, Lang: "en", CreatedAt: now}
		if err := st.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u.ID)
	}
	c := &store.Category{Slug: "open", Audience: map[string]string{store.AccessRead: store.AudienceExperts, store.AccessStart: store.AudienceExperts, store.AccessReply: store.AudienceExperts},
		Texts: map[string]store.CategoryText{"en": {Name: "Open"}}, CreatedAt: now}
	if err := st.SaveCategory(ctx, c); err != nil {
		t.Fatal(err)
	}
	th := &store.Thread{CategoryID: c.ID, Title: "Agenda", AuthorID: users[0], Lang: "en", CreatedAt: now}
	p := &store.Post{AuthorID: users[0], Lang: "en", Body: "Agenda attached", HTML: "<p>Agenda attached</p>", CreatedAt: now}
	if err := st.CreateThread(ctx, th, p); err != nil {
		t.Fatal(err)
	}
	files := &attachment.Store{Dir: filepath.Join(data, "attachments")}
	doc, err := files.Save(strings.NewReader("Agenda of the meeting\nItem one\n"), attachment.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.AddAttachment(ctx, p.ID, store.Attachment{SHA256: doc.SHA256, Name: "agenda.txt", Size: doc.Size, Kind: string(doc.Kind), MIME: doc.MIME}); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "polis-backup.tar.gz")
	env, out, errb := testEnv(nil)
	// The database stays open (as under a running server) during the backup.
	if code := Main(ctx, env, []string{"backup", "--data", data, "--site", src, "--out", archive}); code != 0 {
		t.Fatalf("backup: %d\n%s", code, errb)
	}
	st.Close()
	if !strings.Contains(out.String(), "sqlite database included") {
		t.Errorf("backup output: %q", out)
	}
	if fi, err := os.Stat(archive); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("archive: %v %v", fi, err)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	content := filepath.Join(t.TempDir(), "content")
	env, out, errb = testEnv(nil)
	if code := Main(ctx, env, []string{"restore", "--data", restored, "--content", content, archive}); code != 0 {
		t.Fatalf("restore: %d\n%s", code, errb)
	}
	st2, err := store.Open(ctx, store.SQLiteDSN(filepath.Join(restored, "polis.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	for _, id := range users {
		if _, err := st2.UserByID(ctx, id); err != nil {
			t.Errorf("user %d: %v", id, err)
		}
	}
	got, err := st2.PostByID(ctx, p.ID)
	if err != nil || got.Body != "Agenda attached" || len(got.Attachments) != 1 {
		t.Fatalf("post: %+v %v", got, err)
	}
	r, err := (&attachment.Store{Dir: filepath.Join(restored, "attachments")}).Open(got.Attachments[0].SHA256)
	if err != nil {
		t.Fatalf("attachment file: %v", err)
	}
	r.Close()
	if key, _ := os.ReadFile(filepath.Join(restored, "secrets", "session.key")); string(key) != strings.Repeat("k", 64) {
		t.Error("the session key was not restored")
	}
	if _, err := os.Stat(filepath.Join(content, "en", "_index.md")); err != nil {
		t.Errorf("content: %v", err)
	}
	// Never over existing data.
	env, _, errb = testEnv(nil)
	if code := Main(ctx, env, []string{"restore", "--data", restored, archive}); code != 1 || !strings.Contains(errb.String(), "not empty") {
		t.Errorf("restore over data: %d %s", code, errb)
	}
}
