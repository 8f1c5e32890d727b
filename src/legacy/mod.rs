//! Output for devices that predate declarative software updates (the Rapid Security Response
//! era: macOS 13-14, iOS 16-17), through MDM commands Apple has since deprecated.

pub mod schedule;
