"""GeoTIFF, contours and vector exports; CSV/XLSX point tables in UTF-8 and GBK."""

import io
import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from shapely.geometry import box

from gwmap.crs import area_crs
from gwmap.errors import InputDataError
from gwmap.io.rasters import NODATA, contour_lines, geotiff_bytes, vector_bytes
from gwmap.io.tables import points_from_table, read_table
from gwmap.surface import interpolate


@pytest.fixture(scope="module")
def surface():
    rng = np.random.default_rng(2)
    x, y = rng.uniform(-10_000, 10_000, 150), rng.uniform(-10_000, 10_000, 150)
    pts = gpd.GeoDataFrame({"head_m": 30 + x / 1000}, geometry=gpd.points_from_xy(x, y), crs=area_crs())
    bnd = gpd.GeoSeries([box(-9_000, -9_000, 9_000, 9_000).buffer(500)], crs=area_crs())
    return interpolate(pts.to_crs(4326), "head_m", boundary=bnd, method="kriging", cell_m=200)


def test_geotiff_has_crs_nodata_bands_and_parameters(surface, tmp_path):
    path = tmp_path / "s.tif"
    path.write_bytes(geotiff_bytes(surface))
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4548 and src.nodata == NODATA and src.count == 3
        assert src.descriptions == ("value", "kriging_std", "extrapolated")
        assert src.transform == surface.grid.transform and src.res == (200.0, 200.0)
        band = src.read(1, masked=True)
        assert band.mask.any() and not band.mask.all()  # clipped to the boundary
        assert float(band.min()) == pytest.approx(np.nanmin(surface.values), abs=1e-4)
        params = json.loads(src.tags()["GWMAP_PARAMS"])
        assert params["method"] == "kriging" and params["cell_m"] == 200
        # north-up: the top row is the northern edge
        assert src.xy(0, 0)[1] > src.xy(src.height - 1, 0)[1]


def test_contours_follow_the_field(surface):
    lines = contour_lines(surface, interval=2.0)
    assert set(lines.level) <= set(np.arange(22.0, 40.0, 2.0)) and len(set(lines.level)) >= 6
    # head = 30 + x/1000 so the 30 m contour runs north-south near x = 0
    c30 = lines[lines.level == 30.0].to_crs(area_crs())
    assert abs(c30.geometry.union_all().centroid.x) < 300


@pytest.mark.parametrize("fmt", ["gpkg", "geojson", "shp"])
def test_vector_exports_open_again(surface, tmp_path, fmt):
    data = vector_bytes(contour_lines(surface, interval=2.0), fmt, layer="contours")
    path = tmp_path / f"c.{'zip' if fmt == 'shp' else fmt}"
    path.write_bytes(data)
    if fmt == "shp":
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        assert {"contours.shp", "contours.dbf", "contours.prj", "contours.cpg"} <= set(names)
    back = gpd.read_file(path)
    assert len(back) == 9 and sorted(back.level) == list(np.arange(22.0, 40.0, 2.0)) and back.crs is not None


def test_csv_in_gbk_and_utf8_with_chinese_headers():
    df = pd.DataFrame({"井编号": ["JC001", "JC002"], "经度": ["115.5", "115.6"], "纬度": ["36.5", "36.6"],
                       "埋深": ["10.5", "11.2"]})
    for enc in ("gbk", "utf-8-sig"):
        table, found = read_table(df.to_csv(index=False).encode(enc), "survey.csv")
        assert list(table.columns) == ["井编号", "经度", "纬度", "埋深"] and found == ("GBK" if enc == "gbk" else "UTF-8")
        pts = points_from_table(table)
        assert pts.crs.to_epsg() == 4326 and pts.geometry.x.tolist() == [115.5, 115.6]


def test_xlsx(tmp_path):
    df = pd.DataFrame({"lon": [115.5], "lat": [36.5], "v": [1.0]})
    path = tmp_path / "p.xlsx"
    df.to_excel(path, index=False)
    table, enc = read_table(path.read_bytes(), "p.xlsx")
    assert enc == "xlsx" and points_from_table(table).geometry.y.iloc[0] == 36.5


def test_projected_coordinates_stay_in_their_plane():
    df = pd.DataFrame({"X": ["500000", "501000"], "Y": ["4040000", "4041000"]})
    pts = points_from_table(df, x="X", y="Y", crs="gk3_cm117")
    assert pts.crs.to_epsg() == 4548 and pts.geometry.distance(pts.geometry.iloc[0]).iloc[1] == pytest.approx(1414.2, abs=0.1)


@pytest.mark.parametrize("data, name, kwargs, code", [
    (b"", "a.csv", {}, "err.upload.empty"),
    (b"a,b\n1,2\n", "a.doc", {}, "err.table.format"),
    (b"name,v\nx,1\n", "a.csv", {}, "err.table.no_coords"),
    (b"lon,lat\n115.5,36.5\nabc,36.6\n115.7,\n", "a.csv", {}, "err.table.bad_coords"),
    (b"X,Y\n1,2\n", "a.csv", {"x": "X", "y": "Y"}, "err.crs.missing"),
    (b"\xff\xfe\x00\xd8bad", "a.csv", {}, "err.table.encoding"),
])
def test_bad_tables(data, name, kwargs, code):
    with pytest.raises(InputDataError) as err:
        points_from_table(read_table(data, name)[0], **kwargs)
    assert err.value.code == code
    if code == "err.table.bad_coords":
        assert err.value.params["rows"] == "3, 4"  # spreadsheet rows: header is row 1


def test_a_big5_file_is_not_taken_for_gbk_and_the_user_chooses_with_a_preview():
    from gwmap.io.tables import EncodingUnsure, read_table

    text = ("機井編號,名稱,取水權人,經度,緯度\n"
            "GX001,冠縣東古城鎮一號井,王建國,115.4,36.5\nGX002,煙莊街道二號井,李衛東,115.5,36.4\n")
    data = text.encode("big5")
    with pytest.raises(EncodingUnsure) as err:
        read_table(data, "台賬.csv")
    assert set(err.value.previews) == {"GBK", "Big5"} and "冠縣東古城鎮" in err.value.previews["Big5"]
    df, enc = read_table(data, "台賬.csv", encoding="Big5")
    assert enc == "Big5" and list(df["取水權人"]) == ["王建國", "李衛東"]
    # a GBK file as the county's Excel saves it is read without asking
    simplified = "机井编号,名称,取水权人\nGX001,冠县东古城镇一号井,王建国\n"
    df, enc = read_table(simplified.encode("gbk"), "a.csv")
    assert enc == "GBK" and df.iloc[0]["取水权人"] == "王建国"


def test_a_zip_bomb_xlsx_and_too_many_rows_are_refused_before_parsing():
    import io as _io
    import zipfile

    from gwmap.io.tables import MAX_ROWS, read_table

    buf = _io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<x/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (400 * 2**20))  # 400 MB of zeros, ~0.4 MB compressed
    data = buf.getvalue()
    assert len(data) < 2 * 2**20
    with pytest.raises(InputDataError) as err:
        read_table(data, "bomb.xlsx")
    assert err.value.code == "err.table.expands"
    rows = "well,value\n" + "".join(f"W{i},{i}\n" for i in range(MAX_ROWS + 5))
    with pytest.raises(InputDataError) as err:
        read_table(rows.encode(), "big.csv")
    assert err.value.code == "err.table.too_many_rows" and err.value.params["rows"] == f"{MAX_ROWS + 5:,}"
