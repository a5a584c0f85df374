package forum

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// postView is a post as the viewer sees it, with what they may do to it.
type postView struct {
	*store.Post
	Body       template.HTML // the rendered text, sanitised when it was written
	Created    string
	Shown      bool // readers who are not staff see the text
	Files      bool // attachments are listed
	CanQuote   bool
	Unread     bool
	Mine       bool
	Bookmarked bool
	CanEdit    bool
	CanDelete  bool
	CanFlag    bool
	CanHistory bool
}

// compose is the data of a post editor: a reply, a new thread or an edit.
type compose struct {
	Action        string
	NewThread     bool
	Edit          bool
	Title         string
	Body          string
	Lang          string
	ReplyTo       int64
	Sensitivity   string
	Reason        string // edit reason
	Error         string // i18n key
	ErrorArg      any
	Preview       template.HTML
	DraftSaved    bool
	Langs         []account.Choice
	Sensitivities []string
	MaxFiles      int
	MaxFileMB     int64
	LangOptions   template.HTML // the post language menu, written by langOptions
}

func (h *Handler) newCompose(action string, lang string) compose {
	return compose{Action: action, Lang: lang, Langs: account.Languages(), Sensitivities: Sensitivities,
		MaxFiles: h.Limits.FilesPerPost, MaxFileMB: h.Limits.FileBytes >> 20}
}

// threadPage is the data of a thread's page.
type threadPage struct {
	Thread        *store.Thread
	Category      categoryView
	Posts         []postView
	Pager         pager
	Lang          string // the language filter
	Langs         []account.Choice
	Watch         string
	CanReply      bool
	ClosedReason  string // i18n key when replies are not possible
	Staff         bool
	Compose       compose
	Categories    []categoryView // for moving the thread (staff)
	Sensitivities []string
	L             map[string]string // the labels each post repeats, translated once
	PostsHTML     []template.HTML   // the posts, written by postList
	LangOptions   template.HTML     // the language filter's options
}

// postLabels are the i18n keys every post of a thread page repeats. They
// are translated once per page and read from a map, which keeps a page of
// 50 posts from making hundreds of template function calls.
var postLabels = []string{"forumPostLang", "forumEdited", "forumNew", "forumDeleted", "forumHiddenPost", "forumAttachmentsLabel",
	"forumQuote", "forumEdit", "forumHistory", "forumUnbookmark", "forumBookmark", "forumDelete", "forumFlag",
	"forumModerate", "fieldReason", "forumRestore", "forumHide", "suspendButton"}

func (h *Handler) labels(lang string) map[string]string {
	m := make(map[string]string, len(postLabels))
	for _, k := range postLabels {
		m[k] = h.Catalog.T(lang, k)
	}
	return m
}

// Thread shows a page of a thread. Without a page asked for, a returning
// reader is taken to the first post they have not read.
func (h *Handler) Thread(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	t, cat, ok := h.thread(w, r, v)
	if !ok {
		return
	}
	ctx := r.Context()
	lastRead, err := h.Store.LastRead(ctx, v.u.ID, t.ID)
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	q := r.URL.Query()
	if q.Get("page") == "" && q.Get("lang") == "" && q.Get("quote") == "" && lastRead > 0 && lastRead < t.LastSeq &&
		(lastRead)/h.Limits.PageSize > 0 {
		http.Redirect(w, r, h.postURL(v.lang, t.ID, lastRead+1), http.StatusFound)
		return
	}
	c := h.newCompose(threadURL(v.lang, t.ID)+"/reply", v.lang)
	if quoted := q.Get("quote"); quoted != "" {
		h.prefillQuote(r, v, t, quoted, &c)
	} else if d, err := h.Store.DraftFor(ctx, v.u.ID, "thread:"+strconv.FormatInt(t.ID, 10)); err == nil {
		c.Body, c.Lang = d.Body, d.Lang
	}
	h.showThread(w, r, v, t, cat, lastRead, c, http.StatusOK)
}

// showThread renders a thread page with the given editor state (so that a
// refused reply comes back with its text) and moves the reading position.
func (h *Handler) showThread(w http.ResponseWriter, r *http.Request, v *viewer, t *store.Thread, cat *store.Category, lastRead int, c compose, status int) {
	ctx := r.Context()
	page := pageNumber(r)
	lang := r.URL.Query().Get("lang")
	if !slices.Contains(account.WorkingLanguages, lang) {
		lang = ""
	}
	// Posts are never removed, only marked, so the last number is the count.
	posts, total, err := h.Store.Posts(ctx, t.ID, store.PostFilter{Lang: lang, Limit: h.Limits.PageSize, Offset: (page - 1) * h.Limits.PageSize, Total: t.LastSeq})
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	marks, err := h.Store.BookmarkedIn(ctx, v.u.ID, t.ID)
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	watch, err := h.Store.WatchLevel(ctx, v.u.ID, "thread", t.ID)
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	canReply, why := h.canReply(v, t, cat)
	views := make([]postView, 0, len(posts))
	maxSeq := 0
	for _, p := range posts {
		pv := h.viewPost(v, t, p, lastRead, marks[p.ID])
		pv.CanQuote = canReply && pv.Shown
		views = append(views, pv)
		maxSeq = max(maxSeq, p.Seq)
	}
	d := threadPage{Thread: t, Category: categoryView{Category: cat, CategoryText: h.categoryName(cat, v.lang)}, Posts: views,
		Pager: newPager(r, page, total, h.Limits.PageSize), Lang: lang, Langs: account.Languages(), Watch: watch,
		CanReply: canReply, ClosedReason: why, Staff: v.staff(), Compose: c, Sensitivities: Sensitivities, L: h.labels(v.lang),
		LangOptions: langOptions(lang)}
	d.Compose.LangOptions = langOptions(c.Lang)
	d.PostsHTML = h.postList(v.lang, t.ID, views, d.L, v.c.CSRF, v.staff())
	if v.staff() {
		for _, other := range v.cats {
			d.Categories = append(d.Categories, categoryView{Category: other, CategoryText: h.categoryName(other, v.lang)})
		}
	}
	// Reading moves the position forward (before the page is made, so that
	// its header already counts the notifications just read); a failure
	// here costs an unread marker, not the page.
	if maxSeq > lastRead {
		if err := h.Store.ReadThread(ctx, v.u.ID, t.ID, maxSeq, h.Now().Unix()); err != nil {
			h.Log.Warn("forum: mark read", "err", err)
		}
	}
	h.Gate.Render(w, r, status, "forum_thread", h.Gate.PageTitled(r, v.lang, t.Title, "", d))
}

func (h *Handler) viewPost(v *viewer, t *store.Thread, p *store.Post, lastRead int, bookmarked bool) postView {
	mine := p.AuthorID == v.u.ID
	live := p.DeletedAt == 0
	pv := postView{Post: p, Unread: p.Seq > lastRead && lastRead > 0, Mine: mine, Bookmarked: bookmarked,
		CanEdit:    live && ((mine && !t.Locked && p.HiddenAt == 0) || v.staff()),
		CanDelete:  live && (mine || v.staff()),
		CanFlag:    live && !mine && p.HiddenAt == 0 && !t.Locked,
		CanHistory: p.EditedAt != 0 && (mine || v.staff()),
		Created:    time.Unix(p.CreatedAt, 0).UTC().Format("2006-01-02 15:04 UTC"),
		Shown:      p.Visible()}
	pv.Files = len(p.Attachments) > 0 && (pv.Shown || v.staff())
	if p.Visible() || v.staff() || (mine && p.DeletedAt == 0) {
		pv.Body = template.HTML(p.HTML) // rendered by markdown.Render and sanitised on write
	}
	return pv
}

// canReply says whether the viewer may reply, and if not, why (an i18n key).
func (h *Handler) canReply(v *viewer, t *store.Thread, cat *store.Category) (bool, string) {
	switch {
	case !Can(v.u, cat, store.AccessReply):
		return false, "forumNoReplyRight"
	case v.staff():
		return true, ""
	case t.Locked:
		return false, "forumLocked"
	case t.Closed:
		return false, "forumClosed"
	}
	return true, ""
}

// prefillQuote starts a reply that quotes a post of the thread.
func (h *Handler) prefillQuote(r *http.Request, v *viewer, t *store.Thread, quoted string, c *compose) {
	id, err := strconv.ParseInt(quoted, 10, 64)
	if err != nil {
		return
	}
	p, err := h.Store.PostByID(r.Context(), id)
	if err != nil || p.ThreadID != t.ID || !p.Visible() {
		return
	}
	c.Body = markdown.Quote(p.AuthorHandle, []byte(p.Body))
	c.ReplyTo = p.ID
}

// Reply adds a post to a thread, or previews it, or keeps it as a draft.
func (h *Handler) Reply(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	t, cat, ok := h.thread(w, r, v)
	if !ok {
		return
	}
	ctx := r.Context()
	place := "thread:" + strconv.FormatInt(t.ID, 10)
	c := h.newCompose(threadURL(v.lang, t.ID)+"/reply", v.lang)
	c.Body = normalise(r.PostFormValue("body"))
	c.Lang = r.PostFormValue("lang")
	c.ReplyTo, _ = strconv.ParseInt(r.PostFormValue("reply_to"), 10, 64)
	lastRead, _ := h.Store.LastRead(ctx, v.u.ID, t.ID)
	refuse := func(key string, arg any) {
		c.Error, c.ErrorArg = key, arg
		h.showThread(w, r, v, t, cat, lastRead, c, http.StatusUnprocessableEntity)
	}
	if ok, why := h.canReply(v, t, cat); !ok {
		if why == "forumNoReplyRight" {
			h.Gate.NotFound(w, r, v.lang)
			return
		}
		refuse(why, nil)
		return
	}
	if key, arg := h.checkBody(c.Body, c.Lang); key != "" {
		refuse(key, arg)
		return
	}
	if h.draftOrPreview(w, r, v, place, &c) {
		h.showThread(w, r, v, t, cat, lastRead, c, http.StatusOK)
		return
	}
	if key, arg := h.checkRate(r, v); key != "" {
		refuse(key, arg)
		return
	}
	files, key, arg := h.saveFiles(r)
	if key != "" {
		refuse(key, arg)
		return
	}
	p := &store.Post{ThreadID: t.ID, AuthorID: v.u.ID, Lang: c.Lang, Body: c.Body, CreatedAt: h.Now().Unix(), Attachments: files}
	if c.ReplyTo != 0 {
		if q, err := h.Store.PostByID(ctx, c.ReplyTo); err == nil && q.ThreadID == t.ID {
			p.ReplyTo = q.ID
		}
	}
	if err := h.renderInto(p); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	err := h.Store.AddPost(ctx, p, v.staff())
	if errors.Is(err, store.ErrClosed) {
		refuse("forumClosed", nil)
		return
	}
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	h.afterPost(r, v, t, cat, p, place)
	account.SeeOther(w, r, h.postURL(v.lang, t.ID, p.Seq))
}

// NewThreadShow shows the form that starts a thread in a category.
func (h *Handler) NewThreadShow(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	cat := v.categoryBySlug(r.PathValue("slug"))
	if cat == nil || !Can(v.u, cat, store.AccessStart) {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	c := h.newCompose("/"+v.lang+"/forum/c/"+cat.Slug+"/new", v.lang)
	c.NewThread = true
	if d, err := h.Store.DraftFor(r.Context(), v.u.ID, "category:"+strconv.FormatInt(cat.ID, 10)); err == nil {
		c.Title, c.Body, c.Lang = d.Title, d.Body, d.Lang
	}
	h.showNewThread(w, r, v, cat, c, http.StatusOK)
}

func (h *Handler) showNewThread(w http.ResponseWriter, r *http.Request, v *viewer, cat *store.Category, c compose, status int) {
	c.LangOptions = langOptions(c.Lang)
	h.Gate.Render(w, r, status, "forum_new", h.Gate.Page(r, v.lang, "forumNewThread", "", struct {
		Category categoryView
		Compose  compose
	}{categoryView{Category: cat, CategoryText: h.categoryName(cat, v.lang)}, c}))
}

// NewThread starts a thread, or previews it, or keeps it as a draft.
func (h *Handler) NewThread(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	cat := v.categoryBySlug(r.PathValue("slug"))
	if cat == nil || !Can(v.u, cat, store.AccessStart) {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	ctx := r.Context()
	place := "category:" + strconv.FormatInt(cat.ID, 10)
	c := h.newCompose("/"+v.lang+"/forum/c/"+cat.Slug+"/new", v.lang)
	c.NewThread = true
	c.Title = strings.Join(strings.Fields(r.PostFormValue("title")), " ")
	c.Body = normalise(r.PostFormValue("body"))
	c.Lang = r.PostFormValue("lang")
	c.Sensitivity = r.PostFormValue("sensitivity")
	refuse := func(key string, arg any) {
		c.Error, c.ErrorArg = key, arg
		h.showNewThread(w, r, v, cat, c, http.StatusUnprocessableEntity)
	}
	switch {
	case c.Title == "":
		refuse("forumErrTitle", nil)
		return
	case utf8.RuneCountInString(c.Title) > h.Limits.TitleRunes:
		refuse("forumErrTitleLong", h.Limits.TitleRunes)
		return
	case !slices.Contains(Sensitivities, c.Sensitivity):
		refuse("forumErrSensitivity", nil)
		return
	}
	if key, arg := h.checkBody(c.Body, c.Lang); key != "" {
		refuse(key, arg)
		return
	}
	if h.draftOrPreview(w, r, v, place, &c) {
		h.showNewThread(w, r, v, cat, c, http.StatusOK)
		return
	}
	if key, arg := h.checkRate(r, v); key != "" {
		refuse(key, arg)
		return
	}
	files, key, arg := h.saveFiles(r)
	if key != "" {
		refuse(key, arg)
		return
	}
	now := h.Now().Unix()
	t := &store.Thread{CategoryID: cat.ID, Title: c.Title, AuthorID: v.u.ID, Lang: c.Lang, Sensitivity: c.Sensitivity, CreatedAt: now}
	p := &store.Post{AuthorID: v.u.ID, Lang: c.Lang, Body: c.Body, CreatedAt: now, Attachments: files}
	if err := h.renderInto(p); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	if err := h.Store.CreateThread(ctx, t, p); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	h.afterPost(r, v, t, cat, p, place)
	account.SeeOther(w, r, threadURL(v.lang, t.ID))
}

// draftOrPreview handles the editor's "keep as draft" and "preview"
// buttons: it saves the draft or renders the preview into c and reports
// true, so the caller shows the form again; false means "post".
func (h *Handler) draftOrPreview(w http.ResponseWriter, r *http.Request, v *viewer, place string, c *compose) bool {
	switch r.PostFormValue("action") {
	case "draft":
		err := h.Store.SaveDraft(r.Context(), v.u.ID, store.Draft{Place: place, Title: c.Title, Body: c.Body, Lang: c.Lang, UpdatedAt: h.Now().Unix()})
		if err != nil {
			h.Log.Error("forum: save draft", "err", err)
			c.Error = "forumErrDraft"
			return true
		}
		c.DraftSaved = true
		return true
	case "preview":
		c.Preview, _ = markdown.Render([]byte(c.Body), markdown.Options{IDPrefix: "preview-"})
		return true
	}
	return false
}

// checkBody validates a post's text and language tag.
func (h *Handler) checkBody(body, lang string) (string, any) {
	switch {
	case strings.TrimSpace(body) == "":
		return "forumErrEmpty", nil
	case len(body) > h.Limits.PostBytes:
		return "forumErrTooLong", h.Limits.PostBytes >> 10
	case !slices.Contains(account.WorkingLanguages, lang):
		return "forumErrLang", nil
	}
	return "", nil
}

// checkRate applies the posting limits per member.
func (h *Handler) checkRate(r *http.Request, v *viewer) (string, any) {
	now := h.Now().Unix()
	n, err := h.Store.PostsSince(r.Context(), v.u.ID, now-60)
	if err != nil {
		return "serverErrorTitle", nil
	}
	if n >= h.Limits.PostsPerMinute {
		return "forumErrRateMinute", h.Limits.PostsPerMinute
	}
	n, err = h.Store.PostsSince(r.Context(), v.u.ID, now-24*3600)
	if err != nil {
		return "serverErrorTitle", nil
	}
	if n >= h.Limits.PostsPerDay {
		return "forumErrRateDay", h.Limits.PostsPerDay
	}
	return "", nil
}

// renderInto renders a post's Markdown once, at writing time, with a
// footnote prefix of its own so that two posts on a page never share an id.
func (h *Handler) renderInto(p *store.Post) error {
	var b [4]byte
	rand.Read(b[:])
	html, err := markdown.Render([]byte(p.Body), markdown.Options{IDPrefix: "fn" + hex.EncodeToString(b[:]) + "-"})
	if err != nil {
		return err
	}
	p.HTML = string(html)
	return nil
}

// normalise keeps a post's text as written but with one kind of line end
// and no trailing blank lines.
func normalise(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimRight(s, " \n\t")
}
