"""Evidence photos: checked from their content, decoded once, re-encoded without metadata.

A phone photo is accepted when it is a real JPEG or PNG of at most 10 MB and a sane pixel count.
It is decoded fully (a truncated file fails here, not later), turned upright from its EXIF
orientation, re-encoded as a JPEG with no EXIF/GPS/ICC metadata, and a small thumbnail is made.
"""

import io
import warnings
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from ims.files import JPEG, PNG, check_upload, sha256_of

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_PIXELS = 50_000_000  # 50 megapixels: any phone camera, not a decompression bomb
STORED_MAX_SIDE = 2048
THUMB_MAX_SIDE = 320


def photo_max_bytes():
    return getattr(settings, "AUDIT_PHOTO_MAX_BYTES", MAX_PHOTO_BYTES)


@dataclass(frozen=True)
class ProcessedPhoto:
    photo: ContentFile
    thumbnail: ContentFile
    sha256: str
    width: int
    height: int


def _unreadable():
    return ValidationError(
        _("This photo could not be read: the file is damaged or incomplete. Take it again."),
        code="bad_image",
    )


def check_photo(upload):
    """The checks that need no decoding (type, size, pixel count, structure): what a form
    runs before it keeps a photo for the next submit (``ims.keptuploads``)."""
    check_upload(upload, kinds=(JPEG, PNG), max_bytes=photo_max_bytes())
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as probe:
                width, height = probe.size
                if width * height > MAX_PHOTO_PIXELS:
                    raise _too_many_pixels(width, height)
                probe.verify()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, None) from None
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise _unreadable() from None
    finally:
        upload.seek(0)


def process_photo(upload):
    """Validate and re-encode one uploaded photo; ``ValidationError`` with a clear message."""
    check_photo(upload)
    unreadable = _unreadable()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                image.load()
                image = ImageOps.exif_transpose(image)
                image = image.convert("RGB")
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(None, None) from None
    except (OSError, SyntaxError, ValueError, Image.UnidentifiedImageError):
        raise unreadable from None
    finally:
        upload.seek(0)
    image.thumbnail((STORED_MAX_SIDE, STORED_MAX_SIDE), Image.Resampling.LANCZOS)
    stored = _jpeg(image, quality=82)
    thumb = image.copy()
    thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE), Image.Resampling.LANCZOS)
    thumbnail = _jpeg(thumb, quality=70)
    return ProcessedPhoto(
        photo=ContentFile(stored, name="photo.jpg"),
        thumbnail=ContentFile(thumbnail, name="thumb.jpg"),
        sha256=sha256_of(io.BytesIO(stored)),
        width=image.width,
        height=image.height,
    )


def _too_many_pixels(width, height):
    return ValidationError(
        _(
            "This image is too large in pixels to be a photo (limit %(limit)s megapixels). "
            "Take the photo again with the phone's normal camera setting."
        )
        % {"limit": MAX_PHOTO_PIXELS // 1_000_000},
        code="too_many_pixels",
    )


def _jpeg(image, quality):
    buffer = io.BytesIO()
    # A fresh encode carries no EXIF, GPS or maker notes: nothing of the original is copied.
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
