//! The `f64` functions that live in `std` but not in `core`, for agent crates that also
//! build `no_std`: with the feature `std` they are the standard library's own methods
//! (so std builds behave exactly as before), without it `libm`'s.

/// `x` rounded down.
#[inline]
pub fn floor(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.floor();
    #[cfg(not(feature = "std"))]
    return libm::floor(x);
}

/// `x` rounded up.
#[inline]
pub fn ceil(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.ceil();
    #[cfg(not(feature = "std"))]
    return libm::ceil(x);
}

/// `x` rounded to the nearest integer, halves away from zero.
#[inline]
pub fn round(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.round();
    #[cfg(not(feature = "std"))]
    return libm::round(x);
}

/// `x` rounded to the nearest integer, halves to even.
#[inline]
pub fn round_ties_even(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.round_ties_even();
    #[cfg(not(feature = "std"))]
    return libm::rint(x);
}

/// The integer part of `x` (rounded towards zero).
#[inline]
pub fn trunc(x: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.trunc();
    #[cfg(not(feature = "std"))]
    return libm::trunc(x);
}

/// The fractional part of `x` (`x - trunc(x)`).
#[inline]
pub fn fract(x: f64) -> f64 {
    x - trunc(x)
}

/// `x` to the power `y`.
#[inline]
pub fn powf(x: f64, y: f64) -> f64 {
    #[cfg(feature = "std")]
    return x.powf(y);
    #[cfg(not(feature = "std"))]
    return libm::pow(x, y);
}

/// `x` to the integer power `n`.
#[inline]
pub fn powi(x: f64, n: i32) -> f64 {
    #[cfg(feature = "std")]
    return x.powi(n);
    #[cfg(not(feature = "std"))]
    return libm::pow(x, n as f64);
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_the_std_methods() {
        for x in [-2.5, -0.5, 0.0, 0.49, 0.5, 1.5, 2.5, 1e300, -7.25] {
            assert_eq!(super::floor(x), x.floor());
            assert_eq!(super::ceil(x), x.ceil());
            assert_eq!(super::round(x), x.round());
            assert_eq!(super::round_ties_even(x), x.round_ties_even());
            assert_eq!(super::trunc(x), x.trunc());
            assert_eq!(super::fract(x), x.fract());
        }
        assert_eq!(super::powf(2.0, 10.0), 1024.0);
        assert_eq!(super::powi(2.0, -1), 0.5);
    }
}
