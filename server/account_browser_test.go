package server

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/polis-portal/polis/server/auth"
	"github.com/polis-portal/polis/server/browsertest"
	"github.com/polis-portal/polis/server/store"
)

// TestBrowserApplyAndLoginWithTOTP fills the application form in headless
// Chromium, confirms the address from the outbox link, and, once approved,
// logs in, enrols TOTP from the page and reaches the expert directory
// (issue 4 acceptance).
func TestBrowserApplyAndLoginWithTOTP(t *testing.T) {
	as := newAccountServer(t)
	ctx := browsertest.New(t, 90*time.Second)
	base := as.srv.URL
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/fr/account/apply"),
		chromedp.WaitVisible(chromedp.CSS(`#full_name`)),
		chromedp.SendKeys(chromedp.CSS(`#full_name`), "Jeanne Exemple"),
		chromedp.SendKeys(chromedp.CSS(`#email`), "jeanne@police.example"),
		chromedp.SendKeys(chromedp.CSS(`#organisation`), "Office exemple"),
		chromedp.SetValue(chromedp.CSS(`#country`), "FR"),
		chromedp.SendKeys(chromedp.CSS(`#function`), "Enquêtrice"),
		chromedp.Click(chromedp.CSS(`input[name="expertise"][value="digital-forensics"]`)),
		chromedp.Click(chromedp.CSS(`input[name="languages"][value="fr"]`)),
		chromedp.SendKeys(chromedp.CSS(`#justification`), "J'analyse des supports saisis et souhaite échanger des méthodes."),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPassword),
		chromedp.SendKeys(chromedp.CSS(`#password2`), goodPassword),
		chromedp.Click(chromedp.CSS(`input[name="terms"]`)),
		chromedp.Submit(chromedp.CSS(`#full_name`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelector("h1") && document.querySelector("h1").textContent.length > 0 && location.pathname === "/fr/account/apply" && !document.querySelector("#full_name")`, 10*time.Second)
	bg := context.Background()
	mails, _ := as.deps.Store.Outbox(bg, "jeanne@police.example", 5)
	if len(mails) != 1 {
		t.Fatalf("%d mails after applying in the browser", len(mails))
	}
	link := regexp.MustCompile(`https?://\S+/fr/account/verify\?token=\S+`).FindString(mails[0].Body)
	token := link[len(link)-43:]
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/fr/account/verify?token="+token), chromedp.Click(chromedp.CSS(`main form button`))); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/fr/account/verify" && !document.querySelector("main form")`, 10*time.Second)
	u, _ := as.deps.Store.UserByEmail(bg, "jeanne@police.example")
	if u.Status != store.StatusPending {
		t.Fatalf("status %s after verifying in the browser", u.Status)
	}
	as.deps.Store.SetUserStatus(bg, u.ID, store.StatusApproved, store.RoleExpert, "", 0, as.now.Unix())

	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/fr/account/login"),
		chromedp.SendKeys(chromedp.CSS(`#email`), "jeanne@police.example"),
		chromedp.SendKeys(chromedp.CSS(`#password`), goodPassword),
		chromedp.Submit(chromedp.CSS(`#password`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/fr/account/2fa" && document.querySelector(".qr svg") !== null`, 10*time.Second)
	secret := browsertest.Text(t, ctx, `main p code`)
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#code`), auth.TOTPCode(secret, as.now)),
		chromedp.Submit(chromedp.CSS(`#code`)),
	); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `document.querySelectorAll(".codes li").length === 10`, 10*time.Second)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/fr/experts/")); err != nil {
		t.Fatal(err)
	}
	browsertest.WaitFor(t, ctx, `location.pathname === "/fr/experts/" && document.documentElement.lang === "fr"`, 10*time.Second)
	if h1 := browsertest.Text(t, ctx, `h1`); h1 != as.deps.Catalog.T("fr", "directoryTitle") {
		t.Errorf("directory h1 %q", h1)
	}
}

// TestBrowserAccountPagesAccessible runs axe-core on the pages a visitor
// sees before signing in, in every language (issue 4: all pages in the six
// languages; issue 3's bar of zero violations).
func TestBrowserAccountPagesAccessible(t *testing.T) {
	axe := axeScript(t)
	as := newAccountServer(t)
	checkAxe(t, axe, as.srv.URL, as.deps.Site.Codes(), []string{"account/login", "account/apply", "account/verify?token=x"})
}
