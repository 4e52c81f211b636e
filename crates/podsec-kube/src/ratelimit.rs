//! Client-side rate limiting: client-go's token bucket (`--client-qps-limit`,
//! `--client-qps-burst`), which kube does not have built in.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::time::{Instant, Sleep};
use tower::{Layer, Service};

/// client-go's default QPS when `0` is given.
const DEFAULT_QPS: f32 = 5.0;
/// client-go's default burst when `0` is given.
const DEFAULT_BURST: u32 = 10;

/// A [`Layer`] that admits requests at `qps` per second on average with bursts of up to
/// `burst`, like client-go's token-bucket limiter: every request (GET, LIST and the start of a
/// WATCH) takes one token and waits for it when the bucket is empty.
///
/// As in client-go, `qps == 0` means 5 and `burst == 0` means 10; a negative (or NaN) `qps`
/// turns limiting off. Waiting happens in [`Service::poll_ready`], so in a kube
/// [`Client`](kube::Client) (which queues requests in a buffer in front of its service)
/// requests leave the queue in order at the limited rate; a caller whose deadline passes while
/// queued gets its deadline error.
#[derive(Debug, Clone, Copy)]
pub struct RateLimitLayer {
    /// Tokens per second; `None` = unlimited.
    rate: Option<f64>,
    burst: f64,
}

impl RateLimitLayer {
    /// A limiter of `qps` requests per second with bursts of `burst` (client-go semantics).
    pub fn new(qps: f32, burst: u32) -> Self {
        let qps = if qps == 0.0 { DEFAULT_QPS } else { qps };
        let burst = if burst == 0 { DEFAULT_BURST } else { burst };
        let rate = (qps > 0.0 && qps.is_finite()).then_some(f64::from(qps));
        RateLimitLayer {
            rate,
            burst: f64::from(burst),
        }
    }

    /// No limit.
    pub fn unlimited() -> Self {
        RateLimitLayer {
            rate: None,
            burst: f64::from(DEFAULT_BURST),
        }
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;

    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit {
            inner,
            bucket: self
                .rate
                .map(|rate| Bucket::new(rate, self.burst, Instant::now())),
            permit: Permit::None,
        }
    }
}

/// The service made by [`RateLimitLayer`].
pub struct RateLimit<S> {
    inner: S,
    bucket: Option<Bucket>,
    permit: Permit,
}

impl<S> fmt::Debug for RateLimit<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("bucket", &self.bucket)
            .finish_non_exhaustive()
    }
}

enum Permit {
    /// No token taken for the next request yet.
    None,
    /// A token is reserved and becomes usable at the end of the sleep.
    Waiting(Pin<Box<Sleep>>),
    /// A token is held for the next `call`.
    Held,
}

impl<S, Request> Service<Request> for RateLimit<S>
where
    S: Service<Request>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        if let Some(bucket) = &mut self.bucket {
            loop {
                match &mut self.permit {
                    Permit::None => {
                        self.permit = match bucket.reserve(Instant::now()) {
                            None => Permit::Held,
                            Some(at) => Permit::Waiting(Box::pin(tokio::time::sleep_until(at))),
                        }
                    }
                    Permit::Waiting(sleep) => {
                        ready!(sleep.as_mut().poll(cx));
                        self.permit = Permit::Held;
                    }
                    Permit::Held => break,
                }
            }
        }
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> S::Future {
        self.permit = Permit::None;
        self.inner.call(request)
    }
}

/// A token bucket with reservations: taking a token may drive the level negative, and the
/// taker waits until the level would have been back at zero (fair, first come first served).
#[derive(Debug)]
struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64, now: Instant) -> Self {
        Bucket {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes a token; `None` if it is available now, else the instant it becomes available.
    fn reserve(&mut self, now: Instant) -> Option<Instant> {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
        self.tokens -= 1.0;
        if self.tokens >= 0.0 {
            None
        } else {
            Some(now + Duration::from_secs_f64(-self.tokens / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_steady_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(10.0, 3.0, start);
        assert_eq!(bucket.reserve(start), None);
        assert_eq!(bucket.reserve(start), None);
        assert_eq!(bucket.reserve(start), None);
        // The fourth waits one token interval (100 ms), the fifth two.
        let fourth = bucket.reserve(start).expect("bucket is empty");
        assert_eq!(fourth - start, Duration::from_millis(100));
        let fifth = bucket.reserve(start).expect("bucket is empty");
        assert!((fifth - start).abs_diff(Duration::from_millis(200)) < Duration::from_micros(1));
        // A second later the bucket has refilled to its burst, no more.
        let later = start + Duration::from_secs(10);
        for _ in 0..3 {
            assert_eq!(bucket.reserve(later), None);
        }
        assert!(bucket.reserve(later).is_some());
    }

    #[test]
    fn client_go_defaults() {
        let layer = RateLimitLayer::new(0.0, 0);
        assert_eq!(layer.rate, Some(5.0));
        assert_eq!(layer.burst, 10.0);
        assert_eq!(RateLimitLayer::new(-1.0, 5).rate, None);
        assert_eq!(RateLimitLayer::new(f32::NAN, 5).rate, None);
        assert_eq!(RateLimitLayer::new(20.0, 50).rate, Some(20.0));
    }

    #[tokio::test(start_paused = true)]
    async fn service_waits_for_tokens() {
        use tower::ServiceExt;
        let svc =
            tower::service_fn(|()| async { Ok::<_, std::convert::Infallible>(Instant::now()) });
        let mut svc = RateLimitLayer::new(2.0, 1).layer(svc);
        let start = Instant::now();
        let first = svc.ready().await.unwrap().call(()).await.unwrap();
        let second = svc.ready().await.unwrap().call(()).await.unwrap();
        let third = svc.ready().await.unwrap().call(()).await.unwrap();
        assert_eq!(first - start, Duration::ZERO);
        assert_eq!(second - start, Duration::from_millis(500));
        assert_eq!(third - start, Duration::from_millis(1000));
    }
}
