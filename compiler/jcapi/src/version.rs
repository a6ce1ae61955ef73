//! Which release of the built-in APIs to use.

use crate::generated;
use crate::model::{same_package_name, ApiPackage};

/// A release of the Java Card API (the packages of Oracle's SDK export
/// files for that version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ApiVersion {
    V3_0_4,
    V3_0_5,
    V3_1_0,
    /// The newest, and the default.
    #[default]
    V3_2_0,
}

/// A release of the GlobalPlatform Card API (`org.globalplatform`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum GpVersion {
    V1_0,
    V1_1,
    V1_2,
    V1_3,
    V1_5,
    /// The newest, and the default.
    #[default]
    V1_6,
}

fn find_aid(set: &'static [&'static ApiPackage], aid: &[u8]) -> Option<&'static ApiPackage> {
    set.iter().copied().find(|p| *p.aid == *aid)
}

fn find_name(set: &'static [&'static ApiPackage], name: &str) -> Option<&'static ApiPackage> {
    set.iter()
        .copied()
        .find(|p| same_package_name(&p.name, name))
}

impl ApiVersion {
    pub const ALL: [ApiVersion; 4] = [Self::V3_0_4, Self::V3_0_5, Self::V3_1_0, Self::V3_2_0];

    /// `"3.0.5"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V3_0_4 => "3.0.4",
            Self::V3_0_5 => "3.0.5",
            Self::V3_1_0 => "3.1.0",
            Self::V3_2_0 => "3.2.0",
        }
    }

    /// Parses `"3.0.5"` (also `"3.0.5"` with a leading `v`, `"3.1"`, `"3.2"`).
    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.strip_prefix('v').unwrap_or(name);
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == name || v.as_str().strip_suffix(".0") == Some(name))
    }

    /// Every package of this release.
    pub fn packages(self) -> &'static [&'static ApiPackage] {
        match self {
            Self::V3_0_4 => generated::JC_3_0_4,
            Self::V3_0_5 => generated::JC_3_0_5,
            Self::V3_1_0 => generated::JC_3_1_0,
            Self::V3_2_0 => generated::JC_3_2_0,
        }
    }

    pub fn package_by_aid(self, aid: &[u8]) -> Option<&'static ApiPackage> {
        find_aid(self.packages(), aid)
    }

    /// By name, with slashes or dots.
    pub fn package_by_name(self, name: &str) -> Option<&'static ApiPackage> {
        find_name(self.packages(), name)
    }
}

impl GpVersion {
    pub const ALL: [GpVersion; 6] = [
        Self::V1_0,
        Self::V1_1,
        Self::V1_2,
        Self::V1_3,
        Self::V1_5,
        Self::V1_6,
    ];

    /// `"1.6"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1_0 => "1.0",
            Self::V1_1 => "1.1",
            Self::V1_2 => "1.2",
            Self::V1_3 => "1.3",
            Self::V1_5 => "1.5",
            Self::V1_6 => "1.6",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        let name = name.strip_prefix('v').unwrap_or(name);
        Self::ALL.into_iter().find(|v| v.as_str() == name)
    }

    /// The packages of this release (`org/globalplatform`).
    pub fn packages(self) -> &'static [&'static ApiPackage] {
        match self {
            Self::V1_0 => generated::GP_1_0,
            Self::V1_1 => generated::GP_1_1,
            Self::V1_2 => generated::GP_1_2,
            Self::V1_3 => generated::GP_1_3,
            Self::V1_5 => generated::GP_1_5,
            Self::V1_6 => generated::GP_1_6,
        }
    }

    pub fn package_by_aid(self, aid: &[u8]) -> Option<&'static ApiPackage> {
        find_aid(self.packages(), aid)
    }

    pub fn package_by_name(self, name: &str) -> Option<&'static ApiPackage> {
        find_name(self.packages(), name)
    }
}

impl core::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl core::fmt::Display for GpVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
