//! One error type for the whole engine, with a stable [`ErrorKind`] every door maps.

use std::fmt;

/// The stable category of an [`Error`]; the doors map these, never message strings.
///
/// The numeric values are part of the C ABI (`grove_status`, where 0 is OK) and never change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ErrorKind {
    /// The key, job, session or member does not exist.
    NotFound = 1,
    /// The key holds another kind of value than the operation needs.
    WrongType = 2,
    /// An argument is out of range or malformed; nothing was changed.
    InvalidArgument = 3,
    /// A checked arithmetic operation would leave the 64-bit range.
    Overflow = 4,
    /// The handle (or the store it came from) was closed.
    Closed = 5,
    /// Another process holds the store's directory.
    StoreLocked = 6,
    /// A lock could not be acquired within the timeout.
    LockTimeout = 7,
    /// A remote timestamp is further in the future than the allowed drift.
    ClockDrift = 8,
    /// Stored or received bytes could not be decoded.
    Corrupt = 9,
    /// The operating system reported an I/O failure.
    Io = 10,
    /// A bug in Grove or in a dependency; please report it.
    Internal = 11,
    /// A sealed value cannot be opened: the store was opened without its encryption key, with
    /// another key, or the value was changed or copied from another key.
    Encryption = 12,
}

impl ErrorKind {
    /// Every kind, in numeric order.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::NotFound,
        ErrorKind::WrongType,
        ErrorKind::InvalidArgument,
        ErrorKind::Overflow,
        ErrorKind::Closed,
        ErrorKind::StoreLocked,
        ErrorKind::LockTimeout,
        ErrorKind::ClockDrift,
        ErrorKind::Corrupt,
        ErrorKind::Io,
        ErrorKind::Internal,
        ErrorKind::Encryption,
    ];

    /// The kind's name as the API spells it (`"WrongType"`), used by every door.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::WrongType => "WrongType",
            ErrorKind::InvalidArgument => "InvalidArgument",
            ErrorKind::Overflow => "Overflow",
            ErrorKind::Closed => "Closed",
            ErrorKind::StoreLocked => "StoreLocked",
            ErrorKind::LockTimeout => "LockTimeout",
            ErrorKind::ClockDrift => "ClockDrift",
            ErrorKind::Corrupt => "Corrupt",
            ErrorKind::Io => "Io",
            ErrorKind::Internal => "Internal",
            ErrorKind::Encryption => "Encryption",
        }
    }

    /// The numeric code used by the C ABI (never 0, which means OK).
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The kind with this numeric code, if any.
    pub fn from_code(code: i32) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.code() == code)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error from Grove: a stable [`ErrorKind`] plus a message for humans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The result type of every fallible Grove operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Makes an error of `kind` with a human-readable `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
        }
    }

    /// The stable category of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message (without the kind).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// An `InvalidArgument` error: the caller passed something the API refuses.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// A `Corrupt` error: stored bytes Grove cannot have written.
    pub(crate) fn corrupt(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Corrupt, message)
    }

    /// The `Closed` error every call on a closed handle returns, one message for all.
    pub(crate) fn closed() -> Self {
        Error::new(ErrorKind::Closed, "the store handle is closed")
    }

    /// An `Overflow` error: a number would leave its range (never wrapped or clamped).
    pub(crate) fn overflow(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Overflow, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for (i, k) in ErrorKind::ALL.iter().enumerate() {
            assert_eq!(k.code(), i as i32 + 1);
            assert_eq!(ErrorKind::from_code(k.code()), Some(*k));
        }
        assert_eq!(ErrorKind::from_code(0), None);
        assert_eq!(ErrorKind::from_code(13), None);
    }

    #[test]
    fn display_has_kind_and_message() {
        let e = Error::new(ErrorKind::WrongType, "key 'a' holds a counter");
        assert_eq!(e.to_string(), "WrongType: key 'a' holds a counter");
        assert_eq!(e.kind(), ErrorKind::WrongType);
    }
}
