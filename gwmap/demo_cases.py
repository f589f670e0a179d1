"""Histories for the demo's leads: the steps a county team would have taken, with site photos drawn here.

A closed demo case then reads as a real one does: registered, inspected (a photo
from the site, GPS and time in its EXIF), confirmed, put under rectification with
a deadline, re-inspected (a photo of the sealed well head), closed.  Each lead's
path follows its stage in ``data/wells/leads.csv``; times fall on working hours
between the registration date and the demo's day (:data:`DEMO_AS_OF`, 28 November
2026), the same for every load (a generator seeded by the lead code).  The photos
are synthetic drawings, labelled as such in their watermark, never pictures of a
real place.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

from PIL import ExifTags, Image, ImageDraw

from gwmap import clock
from gwmap.io.files import store_file

__all__ = ["PATHS", "NOTES", "plan_steps", "site_photo", "add_histories"]

#: The stages a lead went through to reach its recorded stage, in order.
PATHS: dict[str, tuple[str, ...]] = {
    "registered": ("registered",),
    "inspected": ("registered", "inspected"),
    "confirmed": ("registered", "inspected", "confirmed"),
    "dismissed": ("registered", "inspected", "dismissed"),
    "rectifying": ("registered", "inspected", "confirmed", "rectifying"),
    "reinspected": ("registered", "inspected", "confirmed", "rectifying", "reinspected"),
    "closed": ("registered", "inspected", "confirmed", "rectifying", "reinspected", "closed"),
}

#: What a team writes at each step (one is picked per lead).
NOTES: dict[str, tuple[str, ...]] = {
    "inspected": (
        "现场核查：田间机井一眼，井口未封，配套潜水泵及电表，井主在场，未能出示取水许可证。",
        "现场核查：机井房内水泵在运行，出水管接入灌溉管道，未安装计量设施。",
        "现场核查：井位与举报一致，井深约 80 米，井主称用于浇地，无审批手续。",
        "现场核查：封存备用井井盖被撬开，井口有新接电缆，疑似私自启用。",
    ),
    "confirmed": (
        "认定为无证取水，当场下达《责令停止水事违法行为通知书》，井主签收。",
        "认定为擅自启用封存井取水，已制作现场笔录并由井主签字确认。",
    ),
    "dismissed": (
        "经核查为已登记的农灌井，取水许可在有效期内，举报不属实，予以排除。",
        "核查为监测井维护作业，非取水行为，予以排除。",
    ),
    "rectifying": (
        "责令限期封填该井，整改期间停止取水，由乡镇水利站督促落实。",
        "责令限期补办取水许可并安装计量设施，逾期未改将依法处罚。",
    ),
    "reinspected": (
        "复查：已按要求回填封井，井口浇筑混凝土并设置标志牌，现场拍照留证。",
        "复查：水泵已拆除，电表已由供电所停电销户，井口封闭完好。",
    ),
    "closed": (
        "整改到位，复查照片及封井记录齐全，予以销号。",
        "整改完成并经乡镇水利站确认，予以销号归档。",
    ),
}

#: Who did each step (the demo accounts' user names).
BY = {"registered": "enforce", "inspected": "enforce", "confirmed": "enforce", "dismissed": "enforce",
      "rectifying": "enforce", "reinspected": "enforce", "closed": "leader"}
#: The day the demo's records were taken (``leads.csv`` holds the 14 months before it): no demo step is
#: later, so the demo reads the same whenever it is loaded.
DEMO_AS_OF = datetime(2026, 11, 28, 9, 0)  # 17:00 in the county, stored as UTC
#: Steps that were a site visit and left a photo.
PHOTO_STAGES = ("inspected", "reinspected")


def _working_time(day: date, rng: random.Random) -> datetime:
    """A county-time moment in working hours on ``day``, as stored (UTC, naive)."""
    minutes = rng.randint(8 * 60 + 30, 17 * 60)
    return clock.local_to_utc(datetime.combine(day, time(minutes // 60, minutes % 60)))


def plan_steps(code: str, stage: str, registered_on: date, deadline: date | None,
               now: datetime) -> list[tuple[str, datetime, date | None]]:
    """(stage, when, deadline) for each step of one lead, oldest first, all before ``now``.

    The gaps are those of a team at work (a few days to inspect, a week or two to decide,
    the re-inspection near the deadline); when the lead was registered too recently for
    that, the steps share the days since.  A rectification's deadline is the recorded one.
    """
    rng = random.Random(hashlib.sha256(code.encode()).digest())
    path = PATHS[stage]
    today = clock.to_local(now).date()
    gaps = {"inspected": rng.randint(1, 6), "confirmed": rng.randint(2, 10), "dismissed": rng.randint(1, 5),
            "rectifying": rng.randint(0, 3), "reinspected": rng.randint(20, 60), "closed": rng.randint(1, 6)}
    days = [registered_on]
    for step in path[1:]:
        days.append(days[-1] + timedelta(days=gaps[step]))
    if deadline is not None and "reinspected" in path:  # re-inspected a little before the deadline when it came
        i = path.index("reinspected")
        near = deadline - timedelta(days=rng.randint(1, 10))
        days[i] = max(days[i], min(near, today - timedelta(days=len(path) - i)))
        for j in range(i + 1, len(path)):
            days[j] = days[j - 1] + timedelta(days=gaps[path[j]])
    latest = today - timedelta(days=1) if registered_on < today else today
    if days[-1] > latest:  # squeeze into the days since registration, keeping the order
        span = max((latest - registered_on).days, 0)
        days = [registered_on + timedelta(days=math.floor(span * k / max(len(path) - 1, 1))) for k in range(len(path))]
    out: list[tuple[str, datetime, date | None]] = []
    last = None
    for step, day in zip(path, days, strict=True):
        at = _working_time(day, rng)
        if last is not None and at <= last:
            at = last + timedelta(minutes=rng.randint(20, 90))
        out.append((step, min(at, now - timedelta(minutes=1)), deadline if step == "rectifying" else None))
        last = at
    return out


def _dms(v: float) -> tuple[float, float, float]:
    d = int(v)
    m = int((v - d) * 60)
    return float(d), float(m), round((v - d - m / 60) * 3600, 2)


def site_photo(code: str, stage: str, taken_utc: datetime, lon: float, lat: float) -> bytes:
    """A drawn site photo (JPEG, 800 × 600) with the camera's EXIF: local time, +08:00, GPS.

    Sky, field and a well: an open well house with a pump at an inspection, a concrete
    cap with a sign at a re-inspection.  A watermark line names the case, the time,
    the position and that the picture is a demo drawing.
    """
    from gwmap.fonts import image_font

    rng = random.Random(f"{code}:{stage}")
    w, h = 800, 600
    img = Image.new("RGB", (w, h))
    draw = ImageDraw.Draw(img)
    horizon = int(h * rng.uniform(0.38, 0.46))
    for y in range(horizon):  # sky: pale at the horizon
        f = y / horizon
        draw.line([(0, y), (w, y)], fill=(int(150 + 70 * f), int(185 + 50 * f), int(225 + 20 * f)))
    soil = (112, 96, 70) if taken_utc.month in (11, 12, 1, 2, 3) else (96, 132, 68)
    draw.rectangle([0, horizon, w, h], fill=soil)
    for k in range(14):  # furrows running to the horizon
        x0 = -200 + k * 90
        draw.line([(w / 2 + (x0 - w / 2) * 0.15, horizon), (x0, h)], fill=tuple(max(c - 18, 0) for c in soil), width=3)
    for _ in range(rng.randint(3, 6)):  # a row of poplars on the horizon
        x = rng.randint(0, w)
        draw.ellipse([x - 22, horizon - 70, x + 22, horizon + 4], fill=(62, 98, 58))
        draw.line([(x, horizon - 10), (x, horizon + 6)], fill=(80, 60, 40), width=4)
    cx, base = int(w * rng.uniform(0.42, 0.58)), int(h * 0.78)
    if stage == "reinspected":  # sealed: a concrete cap and a sign
        draw.ellipse([cx - 90, base - 30, cx + 90, base + 30], fill=(168, 168, 160), outline=(120, 120, 115), width=3)
        draw.rectangle([cx + 110, base - 150, cx + 118, base + 10], fill=(90, 90, 90))
        draw.rectangle([cx + 60, base - 210, cx + 200, base - 140], fill=(250, 250, 245), outline=(200, 30, 30), width=4)
        draw.text((cx + 72, base - 195), "已封填", fill=(200, 30, 30), font=image_font(30))
    else:  # in use: a small pump house, an open well head, a pipe into the field
        draw.rectangle([cx - 110, base - 150, cx + 10, base], fill=(188, 178, 160), outline=(120, 110, 95), width=3)
        draw.polygon([(cx - 125, base - 150), (cx - 50, base - 200), (cx + 25, base - 150)], fill=(150, 70, 55))
        draw.rectangle([cx - 70, base - 95, cx - 35, base], fill=(80, 70, 60))
        draw.ellipse([cx + 40, base - 22, cx + 110, base + 8], fill=(60, 60, 60), outline=(40, 40, 40), width=3)
        draw.line([(cx + 75, base - 8), (cx + 75, base - 70), (cx + 260, base - 70), (cx + 300, base + 40)],
                  fill=(30, 90, 160), width=9)
        draw.rectangle([cx - 150, base - 120, cx - 118, base - 80], fill=(235, 235, 235), outline=(60, 60, 60), width=2)
    local = clock.to_local(taken_utc)
    draw.rectangle([0, h - 64, w, h], fill=(0, 0, 0))
    draw.text((12, h - 58), f"{code}  {local:%Y-%m-%d %H:%M}  E{lon:.5f}  N{lat:.5f}", fill=(255, 220, 60),
              font=image_font(20))
    draw.text((12, h - 30), "冠县水利局执法巡查 · 演示图，非实拍", fill=(255, 220, 60), font=image_font(18))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "gwmap demo"
    exif[ExifTags.Base.DateTime] = f"{local:%Y:%m:%d %H:%M:%S}"
    exif[ExifTags.IFD.Exif] = {ExifTags.Base.DateTimeOriginal: f"{local:%Y:%m:%d %H:%M:%S}",
                               ExifTags.Base.OffsetTimeOriginal: "+08:00"}
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: _dms(lat), 3: "E", 4: _dms(lon)}
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82, exif=exif)
    return buf.getvalue()


def add_histories(session, leads: dict, evidence_dir: Path | None, *, now: datetime | None = None) -> dict[str, int]:
    """Steps (and, with ``evidence_dir``, photos) for the demo's leads, in an open session.

    ``leads`` maps lead code to its (flushed) ``Lead``.  Returns counts: steps, photos.
    """
    from gwmap.cases import distance_m, exif_position
    from gwmap.store.models import Evidence, LeadStep

    now = min(now or clock.now(), DEMO_AS_OF)
    counts = {"steps": 0, "photos": 0}
    for code, lead in sorted(leads.items()):
        rng = random.Random(f"{code}:notes")
        for stage, at, deadline in plan_steps(code, lead.stage, lead.registered_on, lead.rectify_deadline, now):
            note = lead.description if stage == "registered" else rng.choice(NOTES[stage])
            visit = stage in PHOTO_STAGES
            # where the officer stood: a few metres to a few dozen from the recorded point
            s_lon = lead.lon + rng.uniform(-25, 25) / 89_000 if visit else None
            s_lat = lead.lat + rng.uniform(-25, 25) / 111_000 if visit else None
            step = LeadStep(lead_id=lead.id, stage=stage, at=at, by=BY[stage], note=note, deadline=deadline,
                            lon=s_lon, lat=s_lat)
            session.add(step)
            session.flush()
            counts["steps"] += 1
            if visit and evidence_dir is not None:
                data = site_photo(code, stage, at - timedelta(minutes=rng.randint(5, 40)), s_lon, s_lat)
                sha = store_file(data, evidence_dir)
                p_lon, p_lat, taken = exif_position(data)
                session.add(Evidence(lead_id=lead.id, step_id=step.id, sha256=sha, mime="image/jpeg",
                                     filename=f"{code}_{'现场' if stage == 'inspected' else '复查'}.jpg",
                                     size_bytes=len(data), uploaded_at=at, uploaded_by=BY[stage], taken_at=taken,
                                     lon=p_lon, lat=p_lat, gps_source="exif",
                                     offset_m=round(distance_m(lead.lon, lead.lat, p_lon, p_lat), 1)))
                counts["photos"] += 1
    return counts
