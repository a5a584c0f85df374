package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestContract exercises the store's aggregates the same way on both
// backends: accounts and their unique addresses, the forum and what
// search may index of it, the change feed, practices, library drafts
// (issue 9).
func TestContract(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		s := openDSN(t, dsn)
		ctx := context.Background()
		now := time.Now().Unix()

		// Accounts: a taken address is ErrDuplicate.
		u := &User{Email: "a@unit.example", FullName: "A", Organisation: "Unit", Country: "FR", Function: "Analyst",
			Role: RoleExpert, Status: StatusApproved, PasswordHash: "x", Lang: "en", CreatedAt: now, Listed: true}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateUser(ctx, &User{Email: "a@unit.example", FullName: "B", Role: RoleExpert, Status: StatusApproved, Lang: "en", CreatedAt: now}); !errors.Is(err, ErrDuplicate) {
			t.Errorf("duplicate address: %v", err)
		}
		got, err := s.UserByID(ctx, u.ID)
		if err != nil || got.Email != u.Email || !got.Listed {
			t.Errorf("user back: %+v %v", got, err)
		}

		// The forum, and what the change feed records.
		_, before, _ := s.ChangeBounds(ctx)
		c := &Category{Slug: "open", Audience: map[string]string{AccessRead: AudienceExperts, AccessStart: AudienceExperts, AccessReply: AudienceExperts},
			Texts: map[string]CategoryText{"en": {Name: "Open"}}, CreatedAt: now}
		if err := s.SaveCategory(ctx, c); err != nil {
			t.Fatal(err)
		}
		th := &Thread{CategoryID: c.ID, Title: "Triage", AuthorID: u.ID, Lang: "en", CreatedAt: now}
		first := &Post{AuthorID: u.ID, Lang: "en", Body: "first", HTML: "<p>first</p>", CreatedAt: now}
		if err := s.CreateThread(ctx, th, first); err != nil {
			t.Fatal(err)
		}
		reply := &Post{ThreadID: th.ID, AuthorID: u.ID, Lang: "fr", Body: "réponse", HTML: "<p>réponse</p>", CreatedAt: now + 1}
		if err := s.AddPost(ctx, reply, false); err != nil {
			t.Fatal(err)
		}
		if err := s.EditPost(ctx, reply.ID, "réponse modifiée", "<p>réponse modifiée</p>", "fr", u.ID, now+2, "typo"); err != nil {
			t.Fatal(err)
		}
		if err := s.HidePost(ctx, first.ID, u.ID, now+3, "test"); err != nil {
			t.Fatal(err)
		}
		changes, err := s.Changes(ctx, before, 100)
		if err != nil {
			t.Fatal(err)
		}
		var got2 []string
		for _, ch := range changes {
			got2 = append(got2, ch.Entity)
		}
		want := []string{ChangeCategory, ChangeThread, ChangePost, ChangePost, ChangePost}
		if len(got2) != len(want) {
			t.Fatalf("change feed: %v, want %v", got2, want)
		}
		for i := range want {
			if got2[i] != want[i] {
				t.Errorf("change %d: %s, want %s", i, got2[i], want[i])
			}
		}
		// Only visible posts are indexable; a hidden thread hides them all.
		posts, err := s.IndexablePosts(ctx, PostScope{ThreadID: th.ID})
		if err != nil || len(posts) != 1 || posts[0].ID != reply.ID || posts[0].Body != "réponse modifiée" || posts[0].CategoryID != c.ID {
			t.Errorf("indexable posts: %+v %v", posts, err)
		}
		if err := s.HideThread(ctx, th.ID, now+4, "test"); err != nil {
			t.Fatal(err)
		}
		if posts, _ := s.IndexablePosts(ctx, PostScope{AfterID: 0}); len(posts) != 0 {
			t.Errorf("posts of a hidden thread are indexable: %+v", posts)
		}
		if ids, _ := s.PostIDs(ctx, 0, c.ID); len(ids) != 2 {
			t.Errorf("post ids of the category: %v", ids)
		}
		if err := s.HideThread(ctx, th.ID+1000, now, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("hiding a missing thread: %v", err)
		}

		// Practices, found again by the hash of their source.
		p := &Practice{Slug: "doc-1", Kind: "document", Audience: "experts", SourceLangs: []string{"en"}, Source: Source{Title: "f.txt", Year: 2026},
			Date: "2026-12-04", SeedHash: "import:abc", UpdatedAt: now, Texts: map[string]PracticeText{"en": {Title: "T", Summary: "S", Body: "B"}}}
		if err := s.SavePractice(ctx, p, 0, "import"); err != nil {
			t.Fatal(err)
		}
		if slug, err := s.PracticeSlugBySeedHash(ctx, "import:abc"); err != nil || slug != "doc-1" {
			t.Errorf("by seed hash: %q %v", slug, err)
		}
		if _, err := s.PracticeSlugBySeedHash(ctx, "import:none"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown hash: %v", err)
		}
		if ps, _ := s.Practices(ctx, PracticeFilter{Audiences: []string{"public"}}); len(ps) != 0 {
			t.Errorf("an experts-only entry listed for the public: %d", len(ps))
		}

		// Library drafts belong to their owner.
		d := &LibraryDraft{UserID: u.ID, Title: "Draft", Lang: "en", Body: "text", Covered: []string{"grooming"}, UpdatedAt: now}
		if err := s.SaveLibraryDraft(ctx, d); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LibraryDraft(ctx, d.ID, u.ID+1); !errors.Is(err, ErrNotFound) {
			t.Errorf("someone else's draft: %v", err)
		}
		if err := s.DeleteLibraryDraft(ctx, d.ID, u.ID+1); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting someone else's draft: %v", err)
		}
		if back, err := s.LibraryDraft(ctx, d.ID, u.ID); err != nil || back.Covered[0] != "grooming" {
			t.Errorf("own draft: %+v %v", back, err)
		}

		// Pruning the feed keeps what is newer than the cut.
		if err := s.PruneChanges(ctx, now+1000); err != nil {
			t.Fatal(err)
		}
		if lo, hi, _ := s.ChangeBounds(ctx); lo != 0 || hi != 0 {
			t.Errorf("feed after pruning everything: %d..%d", lo, hi)
		}
	})
}
