//! The clock of the SQLite inbox's leases and retries: one that never
//! steps, shared by every process of the machine (they share the file), so
//! that a wall clock set forward cannot make a live lease run out and hand
//! its event to a second worker. It counts from the machine's boot: a file
//! records which boot its times belong to, and after another one they are
//! read as due at once (no process of the earlier boot lives on).
//!
//! Linux: `CLOCK_BOOTTIME` (it counts time asleep too), the boot's id from
//! `/proc/sys/kernel/random/boot_id`. Other Unix systems:
//! `CLOCK_MONOTONIC`, the boot told by the wall clock's time at boot, to
//! ten minutes. Elsewhere: the wall clock.

/// Milliseconds of the steady clock.
pub(super) fn now_millis() -> i64 {
    #[cfg(unix)]
    {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        const CLOCK: libc::clockid_t = libc::CLOCK_BOOTTIME;
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        const CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC;
        let mut time = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid clock and a pointer to a timespec we own.
        if unsafe { libc::clock_gettime(CLOCK, &mut time) } == 0 {
            // 32 bits on some targets.
            #[allow(clippy::useless_conversion)]
            return i64::from(time.tv_sec) * 1000 + i64::from(time.tv_nsec) / 1_000_000;
        }
    }
    super::store::millis(std::time::SystemTime::now())
}

/// Which boot the steady clock's times belong to.
pub(super) fn boot() -> String {
    if let Ok(id) = std::fs::read_to_string("/proc/sys/kernel/random/boot_id") {
        return id.trim().to_string();
    }
    if cfg!(unix) {
        let booted = super::store::millis(std::time::SystemTime::now()) - now_millis();
        return format!("booted-near-{}", booted / 600_000);
    }
    "wall-clock".to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_steady_clock_goes_forward_and_the_boot_stays() {
        let (first, boot) = (super::now_millis(), super::boot());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let second = super::now_millis();
        assert!(second >= first + 20, "{first} then {second}");
        assert_eq!(super::boot(), boot);
        assert!(!boot.is_empty());
    }
}
