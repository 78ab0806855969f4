//! Reading Twilio's Messages list: the poll for replies and delivery statuses (paged, with a
//! page cap and a cursor that remembers what it saw), and the reconciliation lookup that finds
//! a text Twilio accepted but no row recorded. The sending half is in `twilio.rs`.

use super::*;

impl Twilio {
    pub(super) async fn poll_impl(&self, cursor: &PollCursor) -> Result<PollPage, ProviderError> {
        match self.poll_listing(cursor).await {
            // A stored next page Twilio no longer honours (an expired page token): list the
            // window again from the start; what was already reported is still remembered.
            Err(e @ (ProviderError::Rejected { .. } | ProviderError::BadResponse(_)))
                if cursor.resume.is_some() =>
            {
                tracing::warn!(code = ?e.code(), "stored next page refused; listing again");
                let fresh = PollCursor {
                    resume: None,
                    ..cursor.clone()
                };
                self.poll_listing(&fresh).await
            }
            other => other,
        }
    }

    async fn poll_listing(&self, cursor: &PollCursor) -> Result<PollPage, ProviderError> {
        let Some(window_start) = cursor.window_start else {
            return Err(ProviderError::Config(
                "polling needs a starting day (PollCursor::starting_at)".into(),
            ));
        };
        let (mut url, mut walk) = self.start_walk(cursor, window_start)?;
        let mut pages = 0;
        loop {
            let page: ApiPage = self.call(self.client.get(&url), "list messages").await?;
            pages += 1;
            for m in page.messages {
                self.take(&mut walk, m);
            }
            match page.next_page_uri.filter(|n| !n.is_empty()) {
                None => {
                    walk.complete();
                    break;
                }
                Some(uri) if pages >= self.settings.max_pages => {
                    tracing::info!(pages, "poll stopped at the page cap; continues next time");
                    walk.pause(uri);
                    break;
                }
                Some(uri) => url = self.next_url(&uri)?,
            }
        }
        Ok(walk.finish(pages))
    }

    /// The first page's URL and an empty walk: the stored next page, or the window's start.
    fn start_walk(
        &self,
        cursor: &PollCursor,
        window_start: NaiveDate,
    ) -> Result<(String, Walk), ProviderError> {
        let mut walk = Walk {
            window_start,
            next: cursor.clone(),
            out: PollPage::default(),
            newest: None,
            oldest_open: None,
        };
        if let Some(r) = &cursor.resume {
            walk.newest = r.newest;
            walk.oldest_open = r.oldest_open;
            return Ok((self.next_url(&r.next)?, walk));
        }
        let since = format!("{}T00:00:00Z", window_start.format("%Y-%m-%d"));
        let size = self.settings.page_size.clamp(1, 1000).to_string();
        let url = reqwest::Url::parse_with_params(
            &self.messages_url,
            [("DateSent>", since.as_str()), ("PageSize", size.as_str())],
        )
        .map_err(|e| ProviderError::Config(format!("sms.twilio.base_url: {e}")))?;
        Ok((url.to_string(), walk))
    }

    /// One listed message: a reply not seen before, or a status that changed; texts of
    /// another number or service on the same account are not ours and are passed over.
    fn take(&self, walk: &mut Walk, m: ApiMessage) {
        let Some(sid) = m.sid.clone().filter(|s| is_sid(s)) else {
            return;
        };
        let status = map_status(m.status.as_deref().unwrap_or("queued"));
        let at = m
            .date_sent
            .as_deref()
            .or(m.date_created.as_deref())
            .and_then(parse_date);
        let day = at.map(|t| t.date_naive()).unwrap_or(walk.window_start);
        if self.is_ours_inbound(&m) {
            if walk.next.last_status(&sid).is_none() {
                walk.out.inbound.push(InboundSms {
                    provider_id: sid.clone(),
                    from: m.from.clone().unwrap_or_default(),
                    body: m.body.clone().unwrap_or_default(),
                    received_at: at.unwrap_or_else(|| midnight(walk.window_start)),
                });
            }
        } else if self.is_ours_outbound(&m) {
            if walk.next.last_status(&sid) != Some(status) {
                walk.out.statuses.push(StatusUpdate {
                    provider_id: sid.clone(),
                    status,
                    error_code: m.error_code,
                    sent_at: m.date_sent.as_deref().and_then(parse_date),
                    copy: sent_copy(&m),
                });
            }
            if !status.is_final() {
                walk.oldest_open = min_opt(walk.oldest_open, at);
            }
        } else {
            return;
        }
        walk.next.record(day, sid, status);
        walk.newest = walk.newest.max(at);
    }

    pub(super) async fn find_sent_impl(
        &self,
        q: &SentQuery,
    ) -> Result<Vec<SentMessage>, ProviderError> {
        // No DateSent filter on purpose: a message still queued at Twilio has no date_sent
        // and would be filtered out — exactly the message reconciliation must find. The list
        // is narrowed by To (and From) instead and the time window applied here.
        let size = FIND_PAGE_SIZE.to_string();
        let mut params = vec![("To", q.to.as_str()), ("PageSize", size.as_str())];
        if let Sender::From(n) = &self.settings.sender {
            params.push(("From", n.as_str()));
        }
        let mut url = reqwest::Url::parse_with_params(&self.messages_url, &params)
            .map_err(|e| ProviderError::Config(format!("sms.twilio.base_url: {e}")))?
            .to_string();
        let earliest = q.since - CLOCK_SKEW;
        let mut found = Vec::new();
        for _ in 0..FIND_MAX_PAGES {
            let page: ApiPage = self.call(self.client.get(&url), "list messages").await?;
            let mut all_older = !page.messages.is_empty();
            for m in page.messages {
                let created = m
                    .date_created
                    .as_deref()
                    .or(m.date_sent.as_deref())
                    .and_then(parse_date);
                if created.is_none_or(|c| c >= earliest) {
                    all_older = false;
                } else {
                    continue;
                }
                let to_matches = m.to.as_deref() == Some(q.to.as_str());
                let body_matches = m.body.as_deref().is_some_and(|b| same_body(b, &q.body));
                if !(self.is_ours_outbound(&m) && to_matches && body_matches) {
                    continue;
                }
                if let Some(sid) = m.sid.filter(|s| is_sid(s)) {
                    found.push(SentMessage {
                        provider_id: sid,
                        status: map_status(m.status.as_deref().unwrap_or("queued")),
                        error_code: m.error_code,
                        created_at: created,
                    });
                }
            }
            match page.next_page_uri.filter(|n| !n.is_empty()) {
                Some(uri) if !all_older => url = self.next_url(&uri)?,
                _ => break,
            }
        }
        tracing::info!(matches = found.len(), "reconciliation lookup");
        Ok(found)
    }
}

/// What one poll gathers while it walks the pages.
struct Walk {
    window_start: NaiveDate,
    /// The cursor the next poll starts from.
    next: PollCursor,
    out: PollPage,
    newest: Option<DateTime<Utc>>,
    /// The oldest text still waiting for a final status: the window keeps it in view.
    oldest_open: Option<DateTime<Utc>>,
}

impl Walk {
    /// The last page was read: the next poll starts a new window, kept back far enough to
    /// see the open texts' statuses change.
    fn complete(&mut self) {
        self.out.complete = true;
        self.next.resume = None;
        if let Some(n) = self.newest {
            let keep_from = match self.oldest_open {
                Some(o) => o.max(n - STATUS_WATCH).min(n),
                None => n,
            };
            let day = keep_from.date_naive().max(self.window_start);
            self.next.window_start = Some(day);
            self.next.prune_before(day);
        }
    }

    /// Stopped at the page cap: the next poll resumes at `uri`.
    fn pause(&mut self, uri: String) {
        self.next.resume = Some(ResumePoint {
            next: uri,
            newest: self.newest,
            oldest_open: self.oldest_open,
        });
    }

    fn finish(mut self, pages: u32) -> PollPage {
        // Twilio lists newest first; replies must be applied in the order they were written
        // (STOP then START is not START then STOP).
        self.out.inbound.reverse();
        self.out.inbound.sort_by_key(|m| m.received_at);
        self.out.statuses.reverse();
        tracing::debug!(
            pages,
            inbound = self.out.inbound.len(),
            statuses = self.out.statuses.len(),
            "poll done"
        );
        self.out.cursor = self.next;
        self.out
    }
}

impl PollCursor {
    fn last_status(&self, sid: &str) -> Option<MessageStatus> {
        self.seen.values().find_map(|day| day.get(sid).copied())
    }

    fn record(&mut self, day: NaiveDate, sid: String, status: MessageStatus) {
        for (d, ids) in self.seen.iter_mut() {
            if *d != day {
                ids.remove(&sid);
            }
        }
        self.seen.retain(|_, ids| !ids.is_empty());
        self.seen.entry(day).or_default().insert(sid, status);
    }

    fn prune_before(&mut self, day: NaiveDate) {
        self.seen.retain(|d, _| *d >= day);
    }
}

/// The recipient, body and creation time of a listed outbound message.
fn sent_copy(m: &ApiMessage) -> Option<SentCopy> {
    Some(SentCopy {
        to: m.to.clone()?,
        body: m.body.clone()?,
        created_at: m
            .date_created
            .as_deref()
            .or(m.date_sent.as_deref())
            .and_then(parse_date),
    })
}

fn min_opt(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}
