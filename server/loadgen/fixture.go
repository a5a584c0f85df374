// Package loadgen plays many people using Polis at once against servers on
// this machine, and measures what they see: the load test of
// docs/performance.md. It writes its own synthetic members, category and
// threads into the database first (Prepare), then runs a mix of anonymous
// page views and searches and signed-in thread views and replies (Run).
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// Domain is the e-mail domain of the synthetic members (example.org's
// reserved .example top-level domain: no mail can reach anyone).
const Domain = "load.example"

// The fixture's size: enough threads that readers do not all read the same
// rows, each a full page of posts (the forum's page size).
const (
	fixtureThreads = 20
	postsPerThread = 50
	categorySlug   = "load-test"
)

// password is every synthetic member's password. The accounts exist only
// in a throw-away database (Prepare refuses any other).
const password = "quartz lantern meadow ferry"

// Account is one synthetic member.
type Account struct {
	Email, Password string
	Secret          string // the TOTP secret, set anew at each Prepare
}

// Fixture is what Run needs from Prepare.
type Fixture struct {
	Accounts []Account
	Threads  []int64
}

// ErrNotThrowaway is returned when the database holds accounts that are not
// the load test's own: the test writes posts and changes secrets, so it
// runs only on a database made for it.
var ErrNotThrowaway = errors.New("loadgen: the database holds accounts other than the load test's; run the load test on a throw-away data folder or database")

// Prepare makes sure the database holds users synthetic members (experts,
// with two-step verification), a category and its threads, and returns
// their credentials. It is idempotent apart from the TOTP secrets, which
// are new each time (their plain text is known only to this run).
func Prepare(ctx context.Context, st *store.Store, keys *auth.Keys, users int) (*Fixture, error) {
	for offset := 0; ; {
		page, err := st.Users(ctx, store.UserFilter{Limit: 500, Offset: offset})
		if err != nil {
			return nil, err
		}
		for _, u := range page {
			if !strings.HasSuffix(u.Email, "@"+Domain) {
				return nil, ErrNotThrowaway
			}
		}
		if len(page) < 500 {
			break
		}
		offset += len(page)
	}
	// One hash for all: the server checks a password with the parameters
	// stored in its hash, and these are the cheaper ones the tests use, so
	// that 200 logins do not take the run's first minute.
	hash, err := auth.NewHasher(auth.Params{Memory: 19 * 1024, Time: 2, Threads: 1}, 1).Hash(ctx, password)
	if err != nil {
		return nil, err
	}
	now := time.Now().Unix()
	fx := &Fixture{}
	var first int64
	for i := range users {
		email := fmt.Sprintf("member-%04d@%s", i+1, Domain)
		u, err := st.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			u = &store.User{Email: email, FullName: fmt.Sprintf("Load member %d", i+1), Organisation: "Load test", Country: "AT",
				Function: "Analyst", Role: store.RoleExpert, Status: store.StatusApproved, PasswordHash: hash, Lang: "en", CreatedAt: now}
			err = st.CreateUser(ctx, u)
		}
		if err != nil {
			return nil, fmt.Errorf("loadgen: member %s: %w", email, err)
		}
		secret, _, err := auth.NewTOTP("Polis", email)
		if err != nil {
			return nil, err
		}
		if err := st.SetTOTP(ctx, u.ID, keys.Seal(secret)); err != nil {
			return nil, err
		}
		if i == 0 {
			first = u.ID
		}
		fx.Accounts = append(fx.Accounts, Account{Email: email, Password: password, Secret: secret})
	}
	cat, err := category(ctx, st, now)
	if err != nil {
		return nil, err
	}
	threads, _, err := st.Threads(ctx, store.ThreadFilter{Categories: []int64{cat.ID}, Limit: fixtureThreads, Staff: true})
	if err != nil {
		return nil, err
	}
	for _, t := range threads {
		fx.Threads = append(fx.Threads, t.ID)
	}
	// The threads are a week old, so that their posts do not count
	// against the first member's posting limits.
	old := now - 7*24*3600
	rng := rand.New(rand.NewPCG(1, 2))
	for n := len(fx.Threads); n < fixtureThreads; n++ {
		t := &store.Thread{CategoryID: cat.ID, Title: fmt.Sprintf("Load thread %d: %s", n+1, sentence(rng, 5)), AuthorID: first, Lang: "en", CreatedAt: old}
		p, err := post(rng, t, first, old)
		if err != nil {
			return nil, err
		}
		if err := st.CreateThread(ctx, t, p); err != nil {
			return nil, err
		}
		for range postsPerThread - 1 {
			if p, err = post(rng, t, first, old); err != nil {
				return nil, err
			}
			if err := st.AddPost(ctx, p, true); err != nil {
				return nil, err
			}
		}
		fx.Threads = append(fx.Threads, t.ID)
	}
	return fx, nil
}

// category returns the load test's category, creating it.
func category(ctx context.Context, st *store.Store, now int64) (*store.Category, error) {
	cats, err := st.Categories(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range cats {
		if c.Slug == categorySlug {
			return c, nil
		}
	}
	c := &store.Category{Slug: categorySlug, Audience: map[string]string{store.AccessRead: store.AudienceExperts,
		store.AccessStart: store.AudienceExperts, store.AccessReply: store.AudienceExperts},
		Texts: map[string]store.CategoryText{"en": {Name: "Load test"}}, CreatedAt: now}
	return c, st.SaveCategory(ctx, c)
}

// post makes a post of a few paragraphs of synthetic text.
func post(rng *rand.Rand, t *store.Thread, author, now int64) (*store.Post, error) {
	var b strings.Builder
	for i := range 3 {
		if i > 0 {
			b.WriteString("\n\n")
		}
		for range 4 {
			b.WriteString(sentence(rng, 8+rng.IntN(8)))
			b.WriteString(" ")
		}
	}
	p := &store.Post{ThreadID: t.ID, AuthorID: author, Lang: "en", Body: strings.TrimSpace(b.String()), CreatedAt: now}
	html, err := markdown.Render([]byte(p.Body), markdown.Options{})
	p.HTML = string(html)
	return p, err
}

// words are benign words of the portal's subject, so that searches over
// the synthetic posts find something.
var words = strings.Fields(`hotline report referral evidence handover victim identification training
	workshop analyst prosecutor investigator procedure checklist cooperation request preservation
	platform provider notice takedown school parent guidance awareness helpline review case
	meeting draft protocol network forensic device image hash database triage priority safeguarding
	jurisdiction mutual assistance timeline witness interview support counselling outreach`)

func sentence(rng *rand.Rand, n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = words[rng.IntN(len(words))]
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
