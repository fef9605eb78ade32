//! The numbers a call's number fields take: any integer or float type,
//! sent as a JSON number when it converts exactly.

/// A number a call's number field takes: `f64`, `f32`, or any integer
/// type. A 64-bit integer beyond 2^53 does not convert to a JSON number
/// exactly, and is a problem of the call rather than a rounded value.
pub trait IntoNumber: sealed::Sealed {
    /// The number, or why it cannot be sent exactly.
    fn into_number(self) -> Result<f64, String>;
}

mod sealed {
    pub trait Sealed {}
}

/// The largest integer an `f64` holds exactly.
const EXACT: u64 = 1 << 53;

macro_rules! exact {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl IntoNumber for $t {
            fn into_number(self) -> Result<f64, String> {
                Ok(f64::from(self))
            }
        }
    )*};
}

exact!(f64, f32, i8, i16, i32, u8, u16, u32);

macro_rules! wide {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl IntoNumber for $t {
            fn into_number(self) -> Result<f64, String> {
                #[allow(clippy::cast_lossless, clippy::unnecessary_cast)]
                let magnitude = (self as i128).unsigned_abs();
                if magnitude > u128::from(EXACT) {
                    return Err(format!("{self} is beyond 2^53, which a JSON number does not hold exactly"));
                }
                Ok(self as f64)
            }
        }
    )*};
}

wide!(i64, u64, isize, usize);

#[cfg(test)]
mod tests {
    use super::IntoNumber;

    #[test]
    fn integers_convert_exactly_or_are_refused() {
        assert_eq!(1_700_000_000u64.into_number(), Ok(1_700_000_000.0));
        assert_eq!((-5i64).into_number(), Ok(-5.0));
        assert_eq!(2.5f32.into_number(), Ok(2.5));
        assert_eq!((1u64 << 53).into_number(), Ok(9_007_199_254_740_992.0));
        assert!(((1u64 << 53) + 1).into_number().is_err());
        assert!(u64::MAX.into_number().is_err());
    }
}
