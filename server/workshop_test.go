package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestWorkshops: staff announce a workshop with a session and material;
// experts register; the session thread is open only while the workshop
// runs; the summary becomes public; an invitation-only workshop stays
// invisible (404, absent from lists and the calendar) to the uninvited.
func TestWorkshops(t *testing.T) {
	f := newForumFixture(t)
	ctx := context.Background()
	mod, e, e2 := f.users["moderator"], f.users["expert"], f.users["expert2"]
	at := func(d time.Duration) string { return f.as.now.Add(d).UTC().Format("2006-01-02T15:04") }
	// later moves the clock in steps shorter than the session idle time,
	// with every member active at each step, and syncs the workshops.
	later := func(d time.Duration) {
		for d > 0 {
			step := min(d, 10*time.Minute)
			f.as.now = f.as.now.Add(step)
			d -= step
			for _, u := range f.users {
				u.c.get("/en/account/")
			}
		}
		f.as.workshop.Sync(ctx)
	}

	// Bad input is explained and nothing is created.
	if st, body, _ := mod.send("/en/staff/workshops", url.Values{"slug": {"ws1"}, "starts": {at(3 * time.Hour)}, "ends": {at(time.Hour)}, "title_en": {"X"}}); st != 422 || !strings.Contains(body, "the end after the start") {
		t.Errorf("end before start: %d", st)
	}
	st, _, h := mod.send("/en/staff/workshops", url.Values{"slug": {"ws1"}, "starts": {at(10 * time.Minute)}, "ends": {at(30 * time.Minute)},
		"title_en": {"Victim identification workshop"}, "title_fr": {"Atelier d'identification des victimes"},
		"description_en": {"Methods for **victim identification**."}, "agenda_en": {"1. Opening\n2. Case studies"}})
	if st != http.StatusSeeOther || h.Get("Location") != "/en/staff/workshops/ws1" {
		t.Fatalf("create: %d → %s", st, h.Get("Location"))
	}
	if st, _, _ := mod.send("/en/staff/workshops/ws1/sessions", url.Values{"title": {"Opening session"}, "starts": {at(time.Hour)}, "intro": {"Welcome. Introduce yourselves."}}); st != http.StatusSeeOther {
		t.Fatalf("session: %d", st)
	}
	mod.send("/en/staff/workshops/ws1/materials", url.Values{"title": {"Background paper"}, "url": {"https://www.interpol.int/en/Crimes/Crimes-against-children"}})
	if st, _ := mod.sendFiles("/en/staff/workshops/ws1/materials", url.Values{"title": {"Slides"}}, map[string][]byte{"slides.txt": []byte("Slide one\nSlide two\n")}); st != http.StatusSeeOther {
		t.Errorf("document material: %d", st)
	}
	if st, body := mod.sendFiles("/en/staff/workshops/ws1/materials", url.Values{"title": {"Photo"}}, map[string][]byte{"photo.jpg": []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00")}); st != 422 || !strings.Contains(body, "never accepts images") {
		t.Errorf("image material: %d", st)
	}
	if st, _, _ := mod.send("/en/staff/workshops/ws1/materials", url.Values{"title": {"Bad"}, "url": {"javascript:alert(1)"}}); st != 422 {
		t.Errorf("script link accepted: %d", st)
	}
	if st, _, _ := e.c.get("/en/staff/workshops"); st != 404 {
		t.Errorf("expert on the staff workshop page: %d", st)
	}

	// Experts see and register.
	_, body, _ := e.c.get("/en/workshops/")
	if !strings.Contains(body, "Victim identification workshop") || !strings.Contains(body, "Coming") {
		t.Fatal("the expert does not see the coming workshop")
	}
	_, body, _ = e.c.get("/en/workshops/ws1")
	if !strings.Contains(body, "<strong>victim identification</strong>") || !strings.Contains(body, "Background paper") || !strings.Contains(body, "Opening session") {
		t.Error("workshop page incomplete")
	}
	if _, body, _ := e.c.get("/fr/workshops/ws1"); !strings.Contains(body, "Atelier d&#39;identification des victimes") {
		t.Error("the French title is not used")
	}
	if st, _, _ := e.send("/en/workshops/ws1/register", nil); st != http.StatusSeeOther {
		t.Fatalf("register: %d", st)
	}
	ws, _ := f.as.deps.Store.WorkshopBySlug(ctx, "ws1")
	thread := "/en/forum/t/" + id(ws.Sessions[0].ThreadID)
	// Before it starts: the thread is readable but closed.
	if st, body, _ := e.send(thread+"/reply", url.Values{"body": {"Hello early"}, "lang": {"en"}}); st != 422 || !strings.Contains(body, "closed") {
		t.Errorf("reply before the start: %d", st)
	}
	// While it runs: registered participants write, others do not.
	later(15 * time.Minute)
	if st, _, _ := e.send(thread+"/reply", url.Values{"body": {"Hello from the registered"}, "lang": {"en"}}); st != http.StatusSeeOther {
		t.Errorf("registered reply during the workshop: %d", st)
	}
	if st, _, _ := e2.send(thread+"/reply", url.Values{"body": {"Not registered"}, "lang": {"en"}}); st != 404 {
		t.Errorf("unregistered reply: %d", st)
	}
	if st, _, _ := e2.c.get(thread); st != 200 {
		t.Errorf("an expert cannot read an open workshop's thread: %d", st)
	}
	// After it: read-only.
	later(20 * time.Minute)
	if st, _, _ := e.send(thread+"/reply", url.Values{"body": {"Too late"}, "lang": {"en"}}); st != 422 {
		t.Errorf("reply after the end: %d", st)
	}
	if st, _, _ := e.send("/en/workshops/ws1/register", nil); st != 422 {
		t.Errorf("registration after the end: %d", st)
	}

	// The summary: experts first, then the public.
	anon := f.as.client(t)
	if st, _, _ := anon.get("/en/workshops/ws1/summary"); st != 404 {
		t.Errorf("unpublished summary open to visitors: %d", st)
	}
	save := url.Values{"starts": {at(-2 * time.Hour)}, "ends": {at(0)}, "title_en": {"Victim identification workshop"},
		"summary_en": {"Recommendation: share **hash sets** through the ICSE database."}}
	mod.send("/en/staff/workshops/ws1", save)
	if st, body, _ := e.c.get("/en/workshops/ws1/summary"); st != 200 || !strings.Contains(body, "<strong>hash sets</strong>") {
		t.Errorf("experts' summary: %d", st)
	}
	if st, _, _ := anon.get("/en/workshops/ws1/summary"); st != 404 {
		t.Errorf("summary public before it was made public: %d", st)
	}
	save.Set("public", "on")
	mod.send("/en/staff/workshops/ws1", save)
	st, body, _ = anon.get("/en/workshops/ws1/summary")
	if st != 200 || !strings.Contains(body, "hash sets") || !strings.Contains(body, `rel="canonical"`) || strings.Contains(body, "noindex") {
		t.Errorf("public summary: %d", st)
	}
	if strings.Contains(body, "Opening session") || strings.Contains(body, "Slides") {
		t.Error("the public summary shows experts-only parts")
	}
	if _, body, _ := anon.get("/en/workshops/"); !strings.Contains(body, "Victim identification workshop") {
		t.Error("the public list lacks the summary")
	}
	if st, _, h := anon.get("/en/workshops/ws1"); st != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/en/account/login") {
		t.Errorf("visitor on the experts' page: %d", st)
	}

	// Invitation only.
	mod.send("/en/staff/workshops", url.Values{"slug": {"closed-ws"}, "starts": {at(time.Hour)}, "ends": {at(2 * time.Hour)}, "title_en": {"Restricted workshop zebra"}, "invited_only": {"on"}})
	for _, path := range []string{"/en/workshops/", "/en/workshops/calendar.ics"} {
		if _, body, _ := e2.c.get(path); strings.Contains(body, "Restricted workshop zebra") {
			t.Errorf("%s shows the invitation-only workshop to the uninvited", path)
		}
	}
	if st, _, _ := e2.c.get("/en/workshops/closed-ws"); st != 404 {
		t.Errorf("uninvited: %d", st)
	}
	if st, body, _ := mod.send("/en/staff/workshops/closed-ws/invite", url.Values{"emails": {e2.email + ", nobody@nowhere.example"}}); st != 422 || !strings.Contains(body, "nobody@nowhere.example") {
		t.Errorf("invite with an unknown address: %d", st)
	}
	if st, _, _ := e2.c.get("/en/workshops/closed-ws"); st != 200 {
		t.Errorf("invited: %d", st)
	}
	st, body, h = e2.c.get("/en/workshops/calendar.ics")
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/calendar") || strings.Count(body, "BEGIN:VEVENT") != 2 ||
		!strings.Contains(body, "SUMMARY:Restricted workshop zebra\r\n") {
		t.Errorf("calendar: %d %q", st, body)
	}
}
