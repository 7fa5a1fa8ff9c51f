//! `action.touch`: the channel fallback list under reachability, consent, frequency caps and
//! quiet hours; the `Channels` seam the simulator records on and the service delivers through;
//! a delivery that failed later falls back from the next channel.

use super::*;

/// A message the engine hands to a channel.
#[derive(Debug)]
pub struct Message<'a> {
    pub user_id: &'a str,
    pub channel: Channel,
    pub template: &'a str,
    pub content: Option<&'a Value>,
    pub contact: &'a Map<String, Value>,
    pub journey: &'a str,
    pub node: &'a str,
    pub at: Time,
}

/// Where touches go. The simulator records them (nothing is delivered); the service delivers
/// them. A delivery that fails makes the engine fall back to the touch's next channel.
pub trait Channels: Send {
    fn send(&mut self, msg: &Message<'_>) -> Result<(), String>;
}

/// Records every touch as sent (the simulator's channels).
pub struct Recorded;

impl Channels for Recorded {
    fn send(&mut self, _msg: &Message<'_>) -> Result<(), String> {
        Ok(())
    }
}

/// A touch whose delivery failed after its retries (reported by the service's outbox, after the
/// touch was logged as sent): which touch, on which channel, and why.
#[derive(Debug, Clone)]
pub struct DeliveryFailure<'a> {
    pub user_id: &'a str,
    pub journey: &'a str,
    pub version: u64,
    pub node: &'a str,
    pub channel: Channel,
    /// The time of the failed touch's `touch.sent`.
    pub sent_at: Time,
    pub reason: &'a str,
}

pub(crate) fn reach_bit(ch: Channel) -> u8 {
    1 << (ch as u8)
}

/// The channels a profile can be reached on: inbox and webhook always; push, SMS, email, WeChat
/// and the mini-program with a contact (push token, phone, address, `wechat_openid`,
/// `mp_openid`) that is neither null nor empty, unless consent to the channel is `false`; the
/// mini-program needs more: its subscription, `consent.miniprogram` exactly `true`.
pub(crate) fn reach_of(p: &Profile) -> u8 {
    let mut reach = reach_bit(Channel::Inbox) | reach_bit(Channel::Webhook);
    for (k, v) in &p.contact {
        if v.is_null() || v.as_str() == Some("") {
            continue;
        }
        reach |= match k.as_str() {
            "push" => reach_bit(Channel::Push),
            "phone" => reach_bit(Channel::Sms),
            "email" => reach_bit(Channel::Email),
            "wechat_openid" => reach_bit(Channel::Wechat),
            "mp_openid" => reach_bit(Channel::Miniprogram),
            _ => 0,
        };
    }
    for (k, v) in &p.consent {
        if *v == Value::Bool(false) {
            reach &= !match k.as_str() {
                "push" => reach_bit(Channel::Push),
                "sms" => reach_bit(Channel::Sms),
                "email" => reach_bit(Channel::Email),
                "wechat" => reach_bit(Channel::Wechat),
                _ => 0,
            };
        }
    }
    // A subscribe message goes only to a user who subscribed: no consent is not consent here.
    if p.consent.get("miniprogram") != Some(&Value::Bool(true)) {
        reach &= !reach_bit(Channel::Miniprogram);
    }
    reach
}

/// The contacts of a profile that has none.
pub(crate) static NO_CONTACT: std::sync::LazyLock<Map<String, Value>> =
    std::sync::LazyLock::new(Map::new);

impl Engine {
    pub(crate) fn reachable(&self, u: usize, ch: Channel) -> bool {
        self.users[u].reach & reach_bit(ch) != 0
    }

    pub(crate) fn sent_in(&self, u: usize, ch: Option<Channel>, window: i64, now: Time) -> u32 {
        let from = back(now, window);
        self.users[u]
            .sends
            .iter()
            .filter(|(t, c)| *t > from && ch.is_none_or(|x| x == *c))
            .count() as u32
    }

    /// A touch: quiet hours, then channels, then the `*` caps.
    pub(crate) fn touch(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        now: Time,
    ) -> Option<Cow<'static, str>> {
        self.touch_from(u, j, n, 0, now)
    }

    /// A touch trying its channels from index `start` on: 0 for the node itself, more for the
    /// fallback after an asynchronous delivery failure (which must not move the user, so quiet
    /// hours defer it with its own timer).
    pub(crate) fn touch_from(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        start: usize,
        now: Time,
    ) -> Option<Cow<'static, str>> {
        let kind = self.journeys[j].nodes[n].kind.clone();
        let NodeKind::ActionTouch {
            channels,
            template,
            content,
            ..
        } = &*kind
        else {
            return Some("suppressed".into());
        };
        if self.pause_of(j) == Some(PauseScope::All) {
            return Some(self.suppress(u, j, n, SuppressReason::Paused, now).into());
        }
        let policy = self.policy.clone();
        // Quiet hours keep messages from arriving at night; an answer shown on a page the user
        // has just opened is not such a message (`docs/decide.md`).
        let quiet = policy.quiet_hours.as_ref().filter(|_| !self.deciding());
        if let Some(q) = quiet {
            let tz = q.tz.unwrap_or(self.tz);
            let local = now.with_timezone(&tz);
            let m = (local.hour() * 60 + local.minute()) as u16;
            let (s, e) = (q.start.minute_of_day, q.end.minute_of_day);
            let inside = if s == e {
                false
            } else if s < e {
                s <= m && m < e
            } else {
                m >= s || m < e
            };
            if inside {
                if q.mode == QuietMode::Suppress {
                    return Some(
                        self.suppress(u, j, n, SuppressReason::QuietHours, now)
                            .into(),
                    );
                }
                let mut date = local.date_naive();
                if m >= e {
                    date = date.succ_opt().unwrap_or(date);
                }
                let end_local = date
                    .and_hms_opt(u32::from(e / 60), u32::from(e % 60), 0)
                    .unwrap_or_default();
                let until = tz
                    .from_local_datetime(&end_local)
                    .earliest()
                    .map(|t| t.with_timezone(&Utc))
                    .unwrap_or(now + ChronoDuration::hours(1));
                self.defer(u, j, n, start, until, now);
                return None;
            }
        }
        match self.touch_gate(u, j, now) {
            Gate::Go => {}
            Gate::Off => {
                return Some(
                    self.suppress(u, j, n, SuppressReason::Throttled, now)
                        .into(),
                );
            }
            Gate::Defer(until) => {
                self.defer(u, j, n, start, until, now);
                return None;
            }
        }
        let caps = policy.freq_caps();
        let all_cap_full = caps
            .iter()
            .filter(|c| c.channel.is_none())
            .any(|c| self.sent_in(u, None, c.window.seconds as i64, now) + 1 > c.max);
        let mut capped_reachable = false;
        let mut from = start;
        let (i, ch) = loop {
            let mut chosen = None;
            for (i, &ch) in channels.iter().enumerate().skip(from) {
                if !self.reachable(u, ch) {
                    continue;
                }
                let held = caps
                    .iter()
                    .filter(|c| c.channel == Some(ch))
                    .any(|c| self.sent_in(u, Some(ch), c.window.seconds as i64, now) + 1 > c.max);
                if held {
                    capped_reachable = true;
                    continue;
                }
                chosen = Some((i, ch));
                break;
            }
            let Some((i, ch)) = chosen else {
                let r = if capped_reachable {
                    SuppressReason::FreqCap
                } else {
                    SuppressReason::NoChannel
                };
                return Some(self.suppress(u, j, n, r, now).into());
            };
            if all_cap_full {
                return Some(self.suppress(u, j, n, SuppressReason::FreqCap, now).into());
            }
            let msg = Message {
                user_id: &self.users[u].id,
                channel: ch,
                template: template.as_str(),
                content: content.as_ref(),
                contact: self.users[u].contact.as_deref().unwrap_or(&NO_CONTACT),
                journey: &self.journeys[j].id,
                node: &self.journeys[j].nodes[n].id,
                at: now,
            };
            let sent = self.channels.send(&msg);
            self.seen(Some(j), Seen::TouchTried, now);
            match sent {
                Ok(()) => break (i, ch),
                // A failed delivery falls back to the next channel of the list.
                Err(_) => {
                    crate::report::bump(&mut self.report.touches.failed, ch.as_str());
                    self.seen(Some(j), Seen::TouchFailed, now);
                    from = i + 1;
                }
            }
        };
        // Keep only what the longest cap window can still count.
        let longest = caps
            .iter()
            .map(|c| c.window.seconds as i64)
            .max()
            .unwrap_or(0);
        let from = back(now, longest);
        let user = &mut self.users[u];
        user.sends.retain(|(t, _)| *t > from);
        push_tight(&mut user.sends, (now, ch));
        // What the outbox needs goes with the decision when decisions are kept (the service);
        // a log sink writes only the record.
        let to = match self.sink {
            Some(_) => None,
            None => self.users[u]
                .contact
                .as_deref()
                .and_then(|c| address(c, ch))
                .map(|a| Cow::Owned(a.to_owned())),
        };
        let sent = DecisionKind::TouchSent {
            channel: ch,
            template: Cow::Borrowed(template.as_str()),
            tried: Cow::Borrowed(&channels[..i]),
            fallback_from: start.checked_sub(1).map(|k| channels[k]),
            to,
            content: content.as_ref().map(Cow::Borrowed),
        };
        let seq = self.emit(now, Some(u), Some(j), Some(n), sent);
        self.candidate(u, Candidate::touch(seq, now, j, n, ch));
        crate::report::bump(&mut self.report.touches.sent, ch.as_str());
        Some("sent".into())
    }

    /// Defers a touch to `until` (quiet hours, the throttle): the node waits, or a fallback
    /// after a failed delivery (`start` > 0, which must not move the user) gets its own timer.
    fn defer(&mut self, u: usize, j: usize, n: usize, start: usize, until: Time, now: Time) {
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::TouchDeferred { until },
        );
        self.report.touches.deferred += 1;
        if start == 0 {
            self.wait(u, j, n, until, Waiting::Deferral);
        } else {
            let t = Timer::Fallback {
                user: u as u32,
                journey: j as u32,
                node: n as u32,
                from: start as u32,
            };
            self.schedule_timer(until, t);
        }
    }

    pub(crate) fn suppress(
        &mut self,
        u: usize,
        j: usize,
        n: usize,
        reason: SuppressReason,
        now: Time,
    ) -> &'static str {
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::TouchSuppressed { reason },
        );
        crate::report::bump(&mut self.report.touches.suppressed, reason.as_str());
        "suppressed"
    }

    /// A touch's delivery failed after the service's retries: logs `touch.failed` and falls back
    /// to the touch node's next channel after the failed one, through the same path as a touch
    /// (reachability and consent, caps, quiet hours), so the log then says `touch.sent` (with
    /// `fallback_from`), `touch.deferred` or `touch.suppressed` (`no_channel` when none is left).
    /// The failed send no longer counts as sent (caps, report). False, with nothing logged, when
    /// the user, the journey version or the node is unknown or the channel is not the node's.
    pub fn delivery_failed(&mut self, f: &DeliveryFailure<'_>, now: Time) -> bool {
        self.advance_to(now);
        let now = self.now.unwrap_or(now);
        let Some(&u) = self.user_index.get(f.user_id) else {
            return false;
        };
        let Some(j) = self
            .journeys
            .iter()
            .position(|c| &*c.id == f.journey && c.version == f.version)
        else {
            return false;
        };
        let Some(n) = self.journeys[j].nodes.iter().position(|x| &*x.id == f.node) else {
            return false;
        };
        let NodeKind::ActionTouch {
            channels, template, ..
        } = &*self.journeys[j].nodes[n].kind.clone()
        else {
            return false;
        };
        let Some(at) = channels.iter().position(|&c| c == f.channel) else {
            return false;
        };
        let sends = &mut self.users[u].sends;
        if let Some(k) = sends
            .iter()
            .position(|&(t, c)| t == f.sent_at && c == f.channel)
        {
            sends.remove(k);
        }
        let ch = f.channel.as_str();
        if let Some(c) = self.report.touches.sent.get_mut(ch) {
            *c = c.saturating_sub(1);
        }
        crate::report::bump(&mut self.report.touches.failed, ch);
        self.seen(Some(j), Seen::TouchFailed, now);
        self.emit(
            now,
            Some(u),
            Some(j),
            Some(n),
            DecisionKind::TouchFailed {
                channel: f.channel,
                template: Cow::Borrowed(template.as_str()),
                reason: Cow::Borrowed(f.reason),
            },
        );
        self.touch_from(u, j, n, at + 1, now);
        true
    }
}

/// The address a channel delivers to: the profile's `contact.push` token, `contact.phone`,
/// `contact.email`, `contact.wechat_openid` (服务号) or `contact.mp_openid` (小程序); the inbox
/// and the webhook need none.
pub fn address(contact: &Map<String, Value>, ch: Channel) -> Option<&str> {
    let key = match ch {
        Channel::Push => "push",
        Channel::Sms => "phone",
        Channel::Email => "email",
        Channel::Wechat => "wechat_openid",
        Channel::Miniprogram => "mp_openid",
        Channel::Inbox | Channel::Webhook => return None,
    };
    contact.get(key).and_then(Value::as_str)
}
