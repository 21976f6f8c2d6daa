// Photos on the device: downscaled (longest side 1,600 px, JPEG around 300 KB) before they are
// queued; the server re-encodes them again and strips EXIF.
const LONGEST = 1600;
const TARGET_BYTES = 350 * 1024;
const QUALITIES = [0.82, 0.72, 0.62, 0.52];

function toBlob(canvas, quality) {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("encode failed"))), "image/jpeg", quality)
  );
}

export async function downscale(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    throw new Error("not-an-image");
  }
  let longest = LONGEST;
  let result = null;
  // A very detailed photo may stay large at the lowest quality: make it smaller, down to 800 px.
  for (;;) {
    const scale = Math.min(1, longest / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, width, height);
    let blob = null;
    for (const quality of QUALITIES) {
      blob = await toBlob(canvas, quality);
      if (blob.size <= TARGET_BYTES) break;
    }
    result = { blob, width, height };
    if (blob.size <= TARGET_BYTES * 1.5 || longest <= 800) break;
    longest = Math.round(longest * 0.8);
  }
  if (bitmap.close) bitmap.close();
  return result;
}

// RFC 9530 Repr-Digest value of the whole file.
export async function reprDigest(blob) {
  const hash = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return "sha-256=:" + bytesToBase64(new Uint8Array(hash)) + ":";
}

export function bytesToBase64(bytes) {
  let binary = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) binary += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(binary);
}

export function base64ToBytes(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
