//! Approval signatures: a PNG drawn on the pad, checked to be a real,
//! sane-sized image with ink on it, stored with its SHA-256.

use crate::{Error, Result};
use base64::Engine;
use sha2::{Digest, Sha256};

/// The largest PNG accepted, in bytes.
pub const MAX_BYTES: usize = 512 * 1024;
/// The largest signature, in pixels (a pad at up to 3× pixel density).
pub const MAX_WIDTH: u32 = 1600;
pub const MAX_HEIGHT: u32 = 600;
const MIN_INK_PIXELS: usize = 30;

const FIELD: &str = "signature_png";

/// Decodes `data:image/png;base64,...` or plain base64 and checks the PNG,
/// off the async runtime (the pixels are decoded to look for ink).
pub async fn decode_off_runtime(input: String) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || decode(&input))
        .await
        .map_err(|e| Error::internal_from("decoding a signature", e))?
}

/// Decodes `data:image/png;base64,...` or plain base64 and checks the PNG.
pub fn decode(input: &str) -> Result<Vec<u8>> {
    let b64 = input.trim();
    let b64 = b64.strip_prefix("data:image/png;base64,").unwrap_or(b64);
    if b64.len() > MAX_BYTES * 4 / 3 + 8 {
        return Err(Error::validation(FIELD, format!("The signature image is larger than {} KB.", MAX_BYTES / 1024)));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map_err(|_| Error::validation(FIELD, "The signature is not base64-encoded PNG data."))?;
    check_png(&bytes)?;
    Ok(bytes)
}

/// A real PNG, at most `MAX_BYTES`, of sane dimensions, not blank.
pub fn check_png(bytes: &[u8]) -> Result<()> {
    if bytes.len() > MAX_BYTES {
        return Err(Error::validation(FIELD, format!("The signature image is larger than {} KB.", MAX_BYTES / 1024)));
    }
    let not_png = || Error::validation(FIELD, "The signature must be a PNG image.");
    if !bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        return Err(not_png());
    }
    let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let mut reader = decoder.read_info().map_err(|_| not_png())?;
    let (w, h) = (reader.info().width, reader.info().height);
    if w == 0 || h == 0 || w > MAX_WIDTH || h > MAX_HEIGHT {
        return Err(Error::validation(
            FIELD,
            format!("The signature image is {w}×{h} pixels; at most {MAX_WIDTH}×{MAX_HEIGHT} is accepted."),
        ));
    }
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).map_err(|_| not_png())?;
    let data = &buf[..frame.buffer_size()];
    let ink = match frame.color_type {
        png::ColorType::Rgba => data
            .chunks_exact(4)
            .filter(|p| p[3] > 32 && (p[0] as u16 + p[1] as u16 + p[2] as u16) < 600)
            .count(),
        png::ColorType::Rgb => data.chunks_exact(3).filter(|p| (p[0] as u16 + p[1] as u16 + p[2] as u16) < 600).count(),
        png::ColorType::GrayscaleAlpha => data.chunks_exact(2).filter(|p| p[1] > 32 && p[0] < 200).count(),
        png::ColorType::Grayscale => data.iter().filter(|p| **p < 200).count(),
        png::ColorType::Indexed => 0,
    };
    if ink < MIN_INK_PIXELS {
        return Err(Error::validation(FIELD, "The signature is empty: sign on the pad first."));
    }
    Ok(())
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// A PNG with a diagonal stroke (tests and the demo use it).
pub fn sample_png(width: u32, height: u32, ink: bool) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgba);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc.write_header().expect("png header");
        let mut data = vec![0u8; (width * height * 4) as usize];
        if ink {
            for x in 0..width {
                let y = (x * height / width.max(1)).min(height - 1);
                for dy in 0..3.min(height - y) {
                    let i = (((y + dy) * width + x) * 4) as usize;
                    data[i..i + 4].copy_from_slice(&[20, 30, 60, 255]);
                }
            }
        }
        w.write_image_data(&data).expect("png data");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_drawn_signature() {
        let png = sample_png(400, 150, true);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
        assert_eq!(decode(&format!("data:image/png;base64,{b64}")).unwrap(), png);
        assert_eq!(sha256_hex(&png).len(), 64);
    }

    #[test]
    fn refuses_blank_fake_huge_and_garbage() {
        let field = |r: Result<Vec<u8>>| r.unwrap_err().field;
        let blank = base64::engine::general_purpose::STANDARD.encode(sample_png(400, 150, false));
        assert!(decode(&blank).unwrap_err().message.contains("empty"));
        let jpeg = base64::engine::general_purpose::STANDARD.encode([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        assert_eq!(field(decode(&jpeg)).as_deref(), Some("signature_png"));
        assert!(decode("not base64 !!").is_err());
        let wide = base64::engine::general_purpose::STANDARD.encode(sample_png(5000, 10, true));
        assert!(decode(&wide).unwrap_err().message.contains("5000"));
        let big = "A".repeat(MAX_BYTES * 2);
        assert!(decode(&big).unwrap_err().message.contains("larger"));
        let mut truncated = sample_png(400, 150, true);
        truncated.truncate(60);
        assert!(check_png(&truncated).is_err());
    }
}
