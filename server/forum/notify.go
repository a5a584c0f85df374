package forum

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/polis-portal/polis/server/account"
	"github.com/polis-portal/polis/server/markdown"
	"github.com/polis-portal/polis/server/store"
)

// afterPost does what follows a new post: the author's draft goes, the
// author reads up to their own post, and the people concerned are told.
// Failures are logged: the post itself is safe.
func (h *Handler) afterPost(r *http.Request, v *viewer, t *store.Thread, cat *store.Category, p *store.Post, place string) {
	ctx := r.Context()
	if err := h.Store.DeleteDraft(ctx, v.u.ID, place); err != nil {
		h.Log.Warn("forum: delete draft", "err", err)
	}
	if err := h.Store.MarkRead(ctx, v.u.ID, t.ID, p.Seq); err != nil {
		h.Log.Warn("forum: mark read", "err", err)
	}
	if err := h.notifyPost(ctx, t, cat, p); err != nil {
		h.Log.Error("forum: notifications", "post", p.ID, "err", err)
	}
}

// notifyPost tells, once each and never the author: the people mentioned,
// the author of the post answered and of the thread, and everyone
// watching the thread or its category. Nobody is told of a post they may
// not read, and muting a thread or category silences it entirely.
func (h *Handler) notifyPost(ctx context.Context, t *store.Thread, cat *store.Category, p *store.Post) error {
	kinds := map[int64]string{} // user → the most specific reason
	order := []int64{}
	add := func(uid int64, kind string) {
		if uid == p.AuthorID || uid == 0 {
			return
		}
		if _, seen := kinds[uid]; !seen {
			order = append(order, uid)
			kinds[uid] = kind
		}
	}
	// A reply is the most specific reason (quoting a post names its
	// author too), then a mention.
	if p.ReplyTo != 0 {
		if q, err := h.Store.PostByID(ctx, p.ReplyTo); err == nil {
			add(q.AuthorID, store.NoticeReply)
		}
	}
	if p.Seq > 1 {
		add(t.AuthorID, store.NoticeReply)
	}
	if handles := markdown.Mentions([]byte(p.Body)); len(handles) > 0 {
		users, err := h.Store.UsersByHandles(ctx, handles)
		if err != nil {
			return err
		}
		for _, u := range users {
			add(u.ID, store.NoticeMention)
		}
	}
	threadW, catW, err := h.Store.Watches(ctx, t.ID, cat.ID)
	if err != nil {
		return err
	}
	for uid, level := range threadW {
		if level == store.WatchOn {
			add(uid, store.NoticeWatched)
		}
	}
	for uid, level := range catW {
		if level == store.WatchOn {
			add(uid, store.NoticeWatched)
		}
	}
	now := h.Now().Unix()
	var ns []store.Notification
	var recipients []*store.User
	for _, uid := range order {
		if threadW[uid] == store.WatchMute || (catW[uid] == store.WatchMute && threadW[uid] != store.WatchOn) {
			continue
		}
		u, err := h.reader(ctx, uid)
		if err != nil {
			return err
		}
		if u == nil || !Can(u, cat, store.AccessRead) || (t.HiddenAt != 0 && !u.IsStaff()) {
			continue
		}
		ns = append(ns, store.Notification{UserID: uid, Kind: kinds[uid], ActorID: p.AuthorID, ThreadID: t.ID, PostID: p.ID, CreatedAt: now})
		recipients = append(recipients, u)
	}
	if err := h.Store.AddNotifications(ctx, ns); err != nil {
		return err
	}
	for i, u := range recipients {
		if u.NotifyEmail == "immediate" {
			h.mailNotice(ctx, u, ns[i])
		}
	}
	return nil
}

// reader loads a user with their groups, or nil if they cannot enter.
func (h *Handler) reader(ctx context.Context, id int64) (*store.User, error) {
	u, err := h.Store.UserByID(ctx, id)
	if err == store.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !u.CanEnter() {
		return nil, nil
	}
	if u.Groups, err = h.Store.UserGroups(ctx, id); err != nil {
		return nil, err
	}
	return u, nil
}

// notify records a notification that is not about a new post (a
// moderation outcome), mailing it at once when the member asked for that.
func (h *Handler) notify(ctx context.Context, n store.Notification) {
	n.CreatedAt = h.Now().Unix()
	if err := h.Store.AddNotifications(ctx, []store.Notification{n}); err != nil {
		h.Log.Error("forum: notification", "err", err)
		return
	}
	if u, err := h.reader(ctx, n.UserID); err == nil && u != nil && u.NotifyEmail == "immediate" {
		h.mailNotice(ctx, u, n)
	}
}

// mailNotice mails one notification. The mail carries no title or text
// from the forum, only a link: forum content stays behind the login, and
// mail may be read where the forum may not.
func (h *Handler) mailNotice(ctx context.Context, u *store.User, n store.Notification) {
	link := h.link("/" + u.Lang + "/forum/notifications")
	err := h.Mailer.Send(ctx, u.Email, h.Catalog.T(u.Lang, "mailNoticeSubject"),
		h.Catalog.T(u.Lang, "mailNoticeBody", map[string]any{"Name": u.FullName, "What": h.Catalog.T(u.Lang, "notice_"+n.Kind), "Link": link}))
	if err != nil {
		h.Log.Error("forum: notice mail", "err", err)
		return
	}
	if err := h.Store.MarkEmailed(ctx, h.Now().Unix(), []int64{n.ID}); err != nil {
		h.Log.Warn("forum: mark emailed", "err", err)
	}
}

// SendDigests mails each member on the daily digest, at most once a day,
// the number of notifications they have not read or been sent, for the
// threads they may still read.
func (h *Handler) SendDigests(ctx context.Context) error {
	now := h.Now()
	users, err := h.Store.DigestDue(ctx, now.Add(-24*time.Hour).Unix())
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Groups, err = h.Store.UserGroups(ctx, u.ID); err != nil {
			return err
		}
		readable, err := h.Readable(ctx, u)
		if err != nil {
			return err
		}
		ns, err := h.Store.Notifications(ctx, store.NoticeFilter{UserID: u.ID, Categories: readable, Staff: u.IsStaff(),
			Unread: true, NotEmailed: true, Limit: 1000})
		if err != nil {
			return err
		}
		if len(ns) > 0 {
			counts := map[string]int{}
			ids := make([]int64, 0, len(ns))
			for _, n := range ns {
				counts[n.Kind]++
				ids = append(ids, n.ID)
			}
			var lines []string
			for _, kind := range []string{store.NoticeMention, store.NoticeReply, store.NoticeWatched, store.NoticeModeration} {
				if counts[kind] > 0 {
					lines = append(lines, "- "+h.Catalog.T(u.Lang, "notice_"+kind)+": "+strconv.Itoa(counts[kind]))
				}
			}
			err := h.Mailer.Send(ctx, u.Email, h.Catalog.T(u.Lang, "mailDigestSubject"), h.Catalog.T(u.Lang, "mailDigestBody",
				map[string]any{"Name": u.FullName, "Count": len(ns), "Lines": strings.Join(lines, "\n"), "Link": h.link("/" + u.Lang + "/forum/notifications")}))
			if err != nil {
				return err
			}
			if err := h.Store.MarkEmailed(ctx, now.Unix(), ids); err != nil {
				return err
			}
		}
		if err := h.Store.SetDigestAt(ctx, u.ID, now.Unix()); err != nil {
			return err
		}
	}
	return nil
}

// RunDigests sends the daily digests every hour until ctx ends.
func (h *Handler) RunDigests(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if err := h.SendDigests(ctx); err != nil {
			h.Log.Error("forum: digests", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (h *Handler) link(path string) string {
	return strings.TrimSuffix(h.Site.BaseURL, "/") + path
}

// Notices counts a member's unread notifications for the header.
func (h *Handler) Notices(ctx context.Context, u *store.User) int {
	readable, err := h.Readable(ctx, u)
	if err != nil {
		h.Log.Warn("forum: notices", "err", err)
		return 0
	}
	n, err := h.Store.CountNotifications(ctx, store.NoticeFilter{UserID: u.ID, Categories: readable, Staff: u.IsStaff(), Unread: true})
	if err != nil {
		h.Log.Warn("forum: notices", "err", err)
		return 0
	}
	return n
}

// noticeView is a notification with its link.
type noticeView struct {
	store.Notification
	URL string
}

// NotificationsPage lists the viewer's notifications, newest first, and
// their mail preference.
func (h *Handler) NotificationsPage(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	ns, err := h.Store.Notifications(r.Context(), store.NoticeFilter{UserID: v.u.ID, Categories: v.readable, Staff: v.staff(), Limit: 100})
	if err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	views := make([]noticeView, 0, len(ns))
	for _, n := range ns {
		nv := noticeView{Notification: n}
		if n.ThreadID != 0 {
			nv.URL = h.postURL(v.lang, n.ThreadID, max(n.Seq, 1))
		}
		views = append(views, nv)
	}
	h.Gate.Render(w, r, http.StatusOK, "forum_notifications", h.Gate.Page(r, v.lang, "forumNotifications", "", struct {
		Notices []noticeView
		Mode    string
		Modes   []string
	}{views, v.u.NotifyEmail, []string{"immediate", "daily", "off"}}))
}

// MarkNoticesRead marks all the viewer's notifications read.
func (h *Handler) MarkNoticesRead(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	if err := h.Store.MarkNotificationsRead(r.Context(), v.u.ID, h.Now().Unix()); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	account.SeeOther(w, r, "/"+v.lang+"/forum/notifications")
}

// NotifyMode sets how notifications reach the viewer by mail.
func (h *Handler) NotifyMode(w http.ResponseWriter, r *http.Request) {
	v, ok := h.enter(w, r, account.LevelExpert)
	if !ok {
		return
	}
	mode := r.PostFormValue("mode")
	if mode != "immediate" && mode != "daily" && mode != "off" {
		h.Gate.NotFound(w, r, v.lang)
		return
	}
	if err := h.Store.SetNotifyEmail(r.Context(), v.u.ID, mode); err != nil {
		h.Gate.Fail(w, r, v.lang, err)
		return
	}
	account.SeeOther(w, r, "/"+v.lang+"/forum/notifications")
}
