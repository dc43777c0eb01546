//! A microsecond-precision timer for the open-model dispatcher: a Linux `timerfd` armed at an
//! absolute CLOCK_MONOTONIC deadline and awaited through tokio's reactor. tokio's own timer
//! wheel rounds deadlines up to the next millisecond, which would add up to 1 ms of
//! generator-made lag to every scheduled request (and to corrected latency).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};
use tokio::io::unix::AsyncFd;

/// A re-armable one-shot timer.
pub struct PreciseTimer {
    fd: AsyncFd<OwnedFd>,
    base_instant: Instant,
    base_mono: Duration,
}

fn monotonic_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the valid timespec we pass.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

impl PreciseTimer {
    /// Creates the timer; must be called inside a tokio runtime.
    pub fn new() -> std::io::Result<PreciseTimer> {
        // SAFETY: plain syscall; the result is checked before use.
        let raw = unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh descriptor that we own from here on.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let base_instant = Instant::now();
        let base_mono = monotonic_now();
        // SAFETY: `fd` is an OwnedFd: valid, open, and its raw fd never changes while the
        // AsyncFd owns it.
        let fd = unsafe { AsyncFd::register(fd) }.map_err(std::io::Error::from)?;
        Ok(PreciseTimer {
            fd,
            base_instant,
            base_mono,
        })
    }

    /// Sleeps until `deadline` (returns at once when it has passed).
    pub async fn sleep_until(&self, deadline: Instant) -> std::io::Result<()> {
        if deadline <= Instant::now() {
            return Ok(());
        }
        let at = self.base_mono + deadline.saturating_duration_since(self.base_instant);
        let spec = libc::itimerspec {
            it_interval: libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            },
            it_value: libc::timespec {
                tv_sec: at.as_secs() as libc::time_t,
                tv_nsec: at.subsec_nanos() as libc::c_long,
            },
        };
        // SAFETY: valid fd and itimerspec; a null old-value pointer is allowed.
        let rc = unsafe {
            libc::timerfd_settime(
                self.fd.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &spec,
                std::ptr::null_mut(),
            )
        };
        if rc < 0 {
            return Err(std::io::Error::last_os_error());
        }
        loop {
            let mut guard = self.fd.readable().await?;
            let res = guard.try_io(|fd| {
                let mut buf = [0u8; 8];
                // SAFETY: reading 8 bytes into an 8-byte buffer from our timerfd.
                let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), 8) };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(())
                }
            });
            match res {
                Ok(r) => return r,
                Err(_would_block) => {
                    if Instant::now() >= deadline {
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_close_to_the_deadline() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let t = PreciseTimer::new().unwrap();
            let mut worst = Duration::ZERO;
            for i in 0..50u64 {
                let deadline = Instant::now() + Duration::from_micros(300 + i * 37);
                t.sleep_until(deadline).await.unwrap();
                let now = Instant::now();
                assert!(now >= deadline);
                worst = worst.max(now - deadline);
            }
            // generous sanity bound for a noisy machine; tokio's timer alone would be ~1 ms
            assert!(worst < Duration::from_millis(50), "{worst:?}");
        });
    }
}
