package forum

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// postFor starts a handler about the {id} post: the viewer must be an
// expert who may read it and, when allowed is given, may do what it
// checks; otherwise the answer (login, or 404) has been written.
func (h *Handler) postFor(w http.ResponseWriter, r *http.Request, allowed func(postView) bool) (*viewer, *store.Post, *store.Thread, bool) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return nil, nil, nil, false
	}
	p, t, _, ok := h.post(w, r, v)
	if !ok {
		return nil, nil, nil, false
	}
	if allowed != nil && !allowed(h.viewPost(v, t, p, 0, false)) {
		h.Gate.NotFound(w, r, v.lang)
		return nil, nil, nil, false
	}
	return v, p, t, true
}

func canEdit(pv postView) bool   { return pv.CanEdit }
func canDelete(pv postView) bool { return pv.CanDelete }
func canFlag(pv postView) bool   { return pv.CanFlag }

// EditShow shows the form that edits a post (its author, or staff).
func (h *Handler) EditShow(w http.ResponseWriter, r *http.Request) {
	v, p, t, ok := h.postFor(w, r, canEdit)
	if !ok {
		return
	}
	c := h.newCompose(postPath(v.lang, p.ID)+"/edit", v.lang)
	c.Edit, c.Body, c.Lang = true, p.Body, p.Lang
	h.showEdit(w, r, v, t, p, c, http.StatusOK)
}

func (h *Handler) showEdit(w http.ResponseWriter, r *http.Request, v *viewer, t *store.Thread, p *store.Post, c compose, status int) {
	c.LangOptions = langOptions(c.Lang)
	h.Gate.Render(w, r, status, "forum_edit", h.Gate.Page(r, v.lang, "forumEditPost", "", struct {
		Thread  *store.Thread
		Post    *store.Post
		Back    string
		Compose compose
	}{t, p, h.postURL(v.lang, t.ID, p.Seq), c}))
}

// Edit saves a post's new text; the previous text is kept in its history.
func (h *Handler) Edit(w http.ResponseWriter, r *http.Request) {
	v, p, t, ok := h.postFor(w, r, canEdit)
	if !ok {
		return
	}
	c := h.newCompose(postPath(v.lang, p.ID)+"/edit", v.lang)
	c.Edit = true
	c.Body = normalise(r.PostFormValue("body"))
	c.Lang = r.PostFormValue("lang")
	c.Reason = strings.TrimSpace(r.PostFormValue("reason"))
	if key, arg := h.checkBody(c.Body, c.Lang); key != "" {
		c.Error, c.ErrorArg = key, arg
		h.showEdit(w, r, v, t, p, c, http.StatusUnprocessableEntity)
		return
	}
	if r.PostFormValue("action") == "preview" {
		html, err := markdown.Render([]byte(c.Body), markdown.Options{IDPrefix: "preview-"})
		if err != nil {
			h.Gate.Fail(w, r, v.lang, err)
			return
		}
		c.Preview = html
		h.showEdit(w, r, v, t, p, c, http.StatusOK)
		return
	}
	edited := &store.Post{Body: c.Body}
	if err := h.renderInto(edited); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	if err := h.Store.EditPost(r.Context(), p.ID, c.Body, edited.HTML, c.Lang, v.u.ID, h.Now().Unix(), c.Reason); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	if p.AuthorID != v.u.ID {
		// Staff editing someone else's words is moderation: audited.
		h.audit(r, v, "forum.post.edit", p.AuthorID, fmt.Sprintf("post %d: %s", p.ID, c.Reason))
	}
	account.SeeOther(w, r, h.postURL(v.lang, t.ID, p.Seq))
}

// History shows a post's earlier versions to its author and to staff.
func (h *Handler) History(w http.ResponseWriter, r *http.Request) {
	v, p, t, ok := h.postFor(w, r, nil)
	if !ok {
		return
	}
	if p.AuthorID != v.u.ID && !v.staff() {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	revs, err := h.Store.Revisions(r.Context(), p.ID)
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	h.Gate.Render(w, r, http.StatusOK, "forum_history", h.Gate.Page(r, v.lang, "forumHistory", "", struct {
		Thread    *store.Thread
		Post      *store.Post
		Back      string
		Revisions []store.Revision
	}{t, p, h.postURL(v.lang, t.ID, p.Seq), revs}))
}

// Delete deletes a post softly: its author or staff; the thread keeps a
// trace and staff can still read it.
func (h *Handler) Delete(w http.ResponseWriter, r *http.Request) {
	v, p, t, ok := h.postFor(w, r, canDelete)
	if !ok {
		return
	}
	if err := h.Store.DeletePost(r.Context(), p.ID, v.u.ID, h.Now().Unix()); err != nil && !errors.Is(err, store.ErrNotFound) {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	if p.AuthorID != v.u.ID {
		h.audit(r, v, "forum.post.delete", p.AuthorID, fmt.Sprintf("post %d: %s", p.ID, strings.TrimSpace(r.PostFormValue("reason"))))
	}
	account.SeeOther(w, r, h.postURL(v.lang, t.ID, p.Seq))
}

// FlagShow shows the form that flags a post.
func (h *Handler) FlagShow(w http.ResponseWriter, r *http.Request) {
	v, p, t, ok := h.postFor(w, r, canFlag)
	if !ok {
		return
	}
	h.Gate.Render(w, r, http.StatusOK, "forum_flag", h.Gate.Page(r, v.lang, "forumFlag", "", struct {
		Thread  *store.Thread
		Post    *store.Post
		Back    string
		Excerpt string
		Reasons []string
	}{t, p, h.postURL(v.lang, t.ID, p.Seq), markdown.Excerpt([]byte(p.Body), 300), store.FlagReasons}))
}

// Flag reports a post to the moderators with a reason.
func (h *Handler) Flag(w http.ResponseWriter, r *http.Request) {
	v, p, t, ok := h.postFor(w, r, canFlag)
	if !ok {
		return
	}
	reason := r.PostFormValue("reason")
	back := h.postURL(v.lang, t.ID, p.Seq)
	if !slices.Contains(store.FlagReasons, reason) {
		h.Gate.ShowMessage(w, r, v.lang, http.StatusUnprocessableEntity, "forumFlag", account.Message{Text: "forumErrFlagReason", Link: back, LinkT: "forumBackToThread"})
		return
	}
	note := strings.TrimSpace(r.PostFormValue("note"))
	if len(note) > 2000 {
		note = note[:2000]
	}
	err := h.Store.AddFlag(r.Context(), &store.Flag{PostID: p.ID, UserID: v.u.ID, Reason: reason, Note: note, CreatedAt: h.Now().Unix()})
	if err != nil && !errors.Is(err, store.ErrDuplicate) {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	h.Gate.ShowMessage(w, r, v.lang, http.StatusOK, "forumFlag", account.Message{Text: "forumFlagged", Link: back, LinkT: "forumBackToThread"})
}

// Bookmark adds or removes a bookmark on a post.
func (h *Handler) Bookmark(w http.ResponseWriter, r *http.Request) {
	v, p, t, ok := h.postFor(w, r, nil)
	if !ok {
		return
	}
	if _, err := h.Store.ToggleBookmark(r.Context(), v.u.ID, p.ID, h.Now().Unix()); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	account.SeeOther(w, r, h.postURL(v.lang, t.ID, p.Seq))
}

// Bookmarks lists the viewer's bookmarks that they may still read.
func (h *Handler) Bookmarks(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	marks, err := h.Store.Bookmarks(r.Context(), v.u.ID, v.readable, v.staff())
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	type item struct {
		store.Bookmark
		URL string
	}
	items := make([]item, 0, len(marks))
	for _, b := range marks {
		items = append(items, item{b, h.postURL(v.lang, b.ThreadID, b.Seq)})
	}
	h.Gate.Render(w, r, http.StatusOK, "forum_bookmarks", h.Gate.Page(r, v.lang, "forumBookmarks", "", items))
}

// Watch sets the viewer's level on a thread or a category: watch (every
// new post), mute (nothing, not even mentions) or the default.
func (h *Handler) Watch(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	level := r.PostFormValue("level")
	if level != store.WatchOn && level != store.WatchMute {
		level = ""
	}
	var target, back string
	var id int64
	if slug := r.PathValue("slug"); slug != "" {
		cat := v.categoryBySlug(slug)
		if cat == nil {
			h.Gate.NotFound(w, r, v.lang)
			return
		}
		target, id, back = "category", cat.ID, "/"+v.lang+"/forum/c/"+cat.Slug
	} else {
		t, _, ok := h.thread(w, r, v)
		if !ok {
			return
		}
		target, id, back = "thread", t.ID, threadURL(v.lang, t.ID)
	}
	if err := h.Store.SetWatch(r.Context(), v.u.ID, target, id, level); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	account.SeeOther(w, r, back)
}

// Attachment serves a post's document as a download. Only readers of the
// post get it; the type is the one found by content when it was uploaded.
func (h *Handler) Attachment(w http.ResponseWriter, r *http.Request) {
	v, p, _, ok := h.postFor(w, r, nil)
	if !ok {
		return
	}
	if !p.Visible() && !v.staff() {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	sha := r.PathValue("sha")
	i := slices.IndexFunc(p.Attachments, func(a store.Attachment) bool { return a.SHA256 == sha })
	if i < 0 {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	a := p.Attachments[i]
	f, err := h.Files.Open(a.SHA256)
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	defer f.Close()
	ServeDocument(w, r, f, a.Name, a.MIME)
}

// ServeDocument sends a stored document as a download: the type found by
// content at upload, never sniffed by the browser, never shown inline,
// never cached, and sandboxed should a browser open it anyway.
func ServeDocument(w http.ResponseWriter, r *http.Request, f io.ReadSeeker, name, mime string) {
	hd := w.Header()
	hd.Set("Content-Type", mime)
	hd.Set("Content-Disposition", contentDisposition(name))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	hd.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", time.Time{}, f)
}

func postPath(lang string, id int64) string {
	return "/" + lang + "/forum/p/" + strconv.FormatInt(id, 10)
}
