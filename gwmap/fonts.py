"""CJK fonts for what gwmap draws and prints: Pillow images (the bulletin's maps, demo photos) and PDFs.

Both come from the system's packages (``fonts-noto-cjk``, ``fonts-wqy-microhei``, see the Makefile); nothing
is downloaded.  Without them an image falls back to Pillow's own font and a PDF to ReportLab's STSong.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

__all__ = ["IMAGE_FONTS", "PDF_FONT_FILE", "image_font", "pdf_font"]

#: Fonts for images, first found wins (Noto's index 2 is Simplified Chinese).
IMAGE_FONTS = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
#: The TrueType font PDFs embed (Noto CJK ships CFF outlines, which ReportLab cannot embed).
PDF_FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def image_font(size: int) -> ImageFont.ImageFont:
    """A CJK font at ``size`` pixels for Pillow's ``ImageDraw.text``."""
    for path in IMAGE_FONTS:
        if Path(path).exists():
            return ImageFont.truetype(path, size, index=2 if "Noto" in path else 0)
    return ImageFont.load_default()


@cache
def pdf_font() -> str:
    """The name of a registered CJK font for ReportLab: WenQuanYi Micro Hei (embedded) when installed, else STSong.

    STSong-Light is one of the Adobe CJK fonts every PDF reader (and WPS) provides.
    """
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    if PDF_FONT_FILE.exists():
        pdfmetrics.registerFont(TTFont("GwCJK", str(PDF_FONT_FILE)))
        return "GwCJK"
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"
