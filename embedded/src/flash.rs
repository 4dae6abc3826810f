//! A NOR flash in RAM, mirrored to a host file through semihosting.
//!
//! It keeps NOR's rules, which sequential-storage relies on: erasing sets a page
//! to 0xFF, writing can only clear bits (a write ANDs into what is there), reads
//! are byte-wise, writes word-wise (4 bytes), erases page-wise. Every write or
//! erase is also written to the host file (just the changed range: seek, write)
//! before it returns, so a QEMU killed at any point leaves an image as consistent
//! as a real flash cut off between two operations.

use alloc::vec;
use alloc::vec::Vec;

use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use semihosting::fs::File;
use semihosting::io::{Read, Seek, SeekFrom, Write};

use crate::board::{FLASH_PAGE_SIZE, FLASH_SIZE};

/// Why a flash operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlashError {
    NotAligned,
    OutOfBounds,
    /// The host file could not be written.
    Mirror,
}

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        match self {
            Self::NotAligned => NorFlashErrorKind::NotAligned,
            Self::OutOfBounds => NorFlashErrorKind::OutOfBounds,
            Self::Mirror => NorFlashErrorKind::Other,
        }
    }
}

/// The board's flash region, [`FLASH_SIZE`] bytes of [`FLASH_PAGE_SIZE`] pages.
pub struct RamFlash {
    data: Vec<u8>,
    mirror: Option<File>,
}

impl RamFlash {
    /// A blank flash (all 0xFF) that lives only in RAM.
    pub fn blank() -> Self {
        Self {
            data: vec![0xFF; FLASH_SIZE],
            mirror: None,
        }
    }

    /// The flash kept in the host file `path`: loaded from it, or blank (and the
    /// file created) when it does not exist; a shorter file is padded with 0xFF.
    pub fn open(path: &str) -> Result<Self, alloc::string::String> {
        use alloc::format;
        let c_path = alloc::ffi::CString::new(path)
            .map_err(|_| format!("the flash path {path:?} holds a NUL byte"))?;
        let mut flash = Self::blank();
        let existing = File::options().read(true).write(true).open(&c_path);
        let mut file = match existing {
            Ok(mut file) => {
                let len = file
                    .metadata()
                    .map_err(|e| format!("cannot read the size of the flash image {path}: {e:?}"))?
                    .len() as usize;
                let len = len.min(FLASH_SIZE);
                file.read_exact(&mut flash.data[..len])
                    .map_err(|e| format!("cannot read the flash image {path}: {e:?}"))?;
                if len < FLASH_SIZE {
                    file.seek(SeekFrom::Start(len as u64))
                        .and_then(|_| file.write_all(&flash.data[len..]))
                        .map_err(|e| format!("cannot extend the flash image {path}: {e:?}"))?;
                }
                file
            }
            Err(_) => {
                let mut file = File::options()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(true)
                    .open(&c_path)
                    .map_err(|e| format!("cannot create the flash image {path}: {e:?}"))?;
                file.write_all(&flash.data)
                    .map_err(|e| format!("cannot write the flash image {path}: {e:?}"))?;
                file
            }
        };
        file.flush().ok();
        flash.mirror = Some(file);
        Ok(flash)
    }

    /// The flash's contents.
    pub fn contents(&self) -> &[u8] {
        &self.data
    }

    fn check(&self, offset: u32, len: usize, align: usize) -> Result<usize, FlashError> {
        let offset = offset as usize;
        if !offset.is_multiple_of(align) || !len.is_multiple_of(align) {
            return Err(FlashError::NotAligned);
        }
        if offset
            .checked_add(len)
            .is_none_or(|end| end > self.data.len())
        {
            return Err(FlashError::OutOfBounds);
        }
        Ok(offset)
    }

    fn mirror(&mut self, offset: usize, len: usize) -> Result<(), FlashError> {
        let Some(file) = self.mirror.as_mut() else {
            return Ok(());
        };
        file.seek(SeekFrom::Start(offset as u64))
            .and_then(|_| file.write_all(&self.data[offset..offset + len]))
            .map_err(|_| FlashError::Mirror)
    }
}

impl ErrorType for RamFlash {
    type Error = FlashError;
}

impl ReadNorFlash for RamFlash {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), FlashError> {
        let offset = self.check(offset, bytes.len(), 1)?;
        bytes.copy_from_slice(&self.data[offset..offset + bytes.len()]);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.data.len()
    }
}

impl NorFlash for RamFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = FLASH_PAGE_SIZE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), FlashError> {
        let len = (to as usize)
            .checked_sub(from as usize)
            .ok_or(FlashError::OutOfBounds)?;
        let from = self.check(from, len, FLASH_PAGE_SIZE)?;
        self.data[from..from + len].fill(0xFF);
        self.mirror(from, len)
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), FlashError> {
        let offset = self.check(offset, bytes.len(), Self::WRITE_SIZE)?;
        for (cell, byte) in self.data[offset..offset + bytes.len()]
            .iter_mut()
            .zip(bytes)
        {
            *cell &= byte;
        }
        self.mirror(offset, bytes.len())
    }
}

// Writing ANDs into the cells, so a word may be written more than once.
impl MultiwriteNorFlash for RamFlash {}
