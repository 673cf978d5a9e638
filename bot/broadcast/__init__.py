"""Announcements to subscribers: drafts, admin approval, the resumable sender, the poller."""
