"""
warning_text.py
---------------

The wording of the pipeline's warnings (`messages.Message`) in English and
Vietnamese. The manifest keeps the English text in `warnings` and each
warning's key and values in `warning_keys`, so the studio shows them in the
page's language. The prefix before the first colon names the step in both.
"""

from __future__ import annotations

WARNINGS: dict[str, dict[str, str]] = {
    "pg_not_placed": {
        "en": "photogrammetry: {failed} of {photos} photos could not be placed (see photogrammetry.not_placed)",
        "vi": "photogrammetry: {failed} trên {photos} ảnh không định vị được (xem photogrammetry.not_placed)",
    },
    "pg_dropped": {
        "en": "photogrammetry: {count} photos dropped as blurred or duplicate",
        "vi": "photogrammetry: đã bỏ {count} ảnh bị mờ hoặc trùng lặp",
    },
    "pg_scale_unknown": {
        "en": "photogrammetry: scale unknown; give a dimension or a scale bar for true size in AR",
        "vi": "photogrammetry: chưa biết tỉ lệ; hãy nhập một kích thước hoặc thước tỉ lệ để AR hiện đúng "
              "kích thước thật",
    },
    "pg_cut_off": {
        "en": "photogrammetry: the object reaches the edge of the frame in {cut} of {total} photos, so parts of it "
              "may be missing and its measured size short (a declared dimension then makes the model too big); "
              "photograph it with some space around it (see photogrammetry.cut_off)",
        "vi": "photogrammetry: hiện vật chạm mép khung hình ở {cut} trên {total} ảnh, nên có thể thiếu một phần và "
              "kích thước đo được bị hụt (khi đó kích thước đã khai báo làm mô hình to quá); hãy chụp chừa "
              "khoảng trống quanh hiện vật (xem photogrammetry.cut_off)",
    },
    "rectify_kept_front": {
        "en": "rectify: kept the front photo as it is: {reason}",
        "vi": "rectify: giữ nguyên ảnh mặt trước: {reason}",
    },
    "rectify_kept_back": {
        "en": "rectify: kept the back photo as it is: {reason}",
        "vi": "rectify: giữ nguyên ảnh mặt sau: {reason}",
    },
    "flat_aspect_rectified": {
        "en": "flat: the declared shape {declared:.2f} differs from the rectified photo ({seen:.2f}); "
              "the texture is stretched to fit",
        "vi": "flat: tỉ lệ khai báo {declared:.2f} khác với ảnh đã nắn ({seen:.2f}); ảnh bề mặt bị kéo giãn "
              "cho vừa",
    },
    "flat_aspect_photo": {
        "en": "flat: the declared shape {declared:.2f} differs from the photo (is there background around the "
              "artefact?) ({seen:.2f}); the texture is stretched to fit",
        "vi": "flat: tỉ lệ khai báo {declared:.2f} khác với ảnh (quanh hiện vật còn phông nền không?) "
              "({seen:.2f}); ảnh bề mặt bị kéo giãn cho vừa",
    },
    "ring_small_frames": {
        "en": "ring: frames are {side} px after cropping; larger sizes were not made",
        "vi": "ring: sau khi cắt, khung hình chỉ còn {side} px; các cỡ lớn hơn không được tạo",
    },
    "ring_exposure": {
        "en": "ring: exposure differs a lot between frames; some could not be matched fully",
        "vi": "ring: độ sáng giữa các khung hình chênh nhau nhiều; một số khung không cân bằng được hoàn toàn",
    },
    "ring_no_crop": {
        "en": "ring: the object could not be told from the backdrop; frames are not cropped",
        "vi": "ring: không tách được hiện vật khỏi phông nền; khung hình không được cắt",
    },
    "load_bad_uv": {
        "en": "load: {bad:,} texture coordinates were NaN, infinite or absurd and were set to 0",
        "vi": "load: {bad:,} toạ độ ảnh bề mặt (UV) bị hỏng (NaN, vô hạn hoặc vô lý) và đã được đặt về 0",
    },
    "load_bad_indices": {
        "en": "load: {bad:,} of {faces:,} faces named vertices the file does not have (it has {vertices:,}) and "
              "were dropped; re-export the scan if parts are missing",
        "vi": "load: {bad:,} trên {faces:,} mặt trỏ tới đỉnh không có trong tệp (tệp có {vertices:,} đỉnh) và đã "
              "bị bỏ; hãy xuất lại bản quét nếu thấy thiếu phần nào",
    },
    "load_counts": {
        "en": "load: {count} arrays in {name!r} declared a count that disagrees with the values they hold; "
              "the values were used",
        "vi": "load: {count} mảng trong {name!r} khai báo số phần tử không khớp với dữ liệu; đã dùng dữ liệu thực",
    },
    "load_assimp": {
        "en": "load: {name!r} was read with assimp, because the first reader refused it: {reason}",
        "vi": "load: {name!r} được đọc bằng assimp vì trình đọc đầu tiên từ chối nó: {reason}",
    },
    "load_fbx_unit": {
        "en": "load: the FBX unit is {cm:g} cm, which is not one we name; declare `unit` or a dimension",
        "vi": "load: đơn vị của tệp FBX là {cm:g} cm, không phải đơn vị thông dụng; hãy khai báo `unit` hoặc "
              "một kích thước",
    },
    "load_uv_wrap": {
        "en": "load: {bad:,} faces of {name!r} have texture coordinates that wrap around the texture "
              "(e.g. u from 0.98 back to 0), which squeezes the whole texture into a streak along the seam; "
              "split the UV seam (duplicate the seam vertices) in the scanning software and export again",
        "vi": "load: {bad:,} mặt của {name!r} có toạ độ UV vòng qua mép ảnh bề mặt (ví dụ u từ 0,98 về 0), làm "
              "cả ảnh bị ép thành một vệt dọc đường nối; hãy tách đường nối UV (nhân đôi các đỉnh trên đường "
              "nối) trong phần mềm quét rồi xuất lại",
    },
    "load_point_cloud": {
        "en": "load: {name!r} is a point cloud of {points:,} points; it was meshed automatically (Poisson). "
              "For a better surface, mesh it in your scanner software and upload the mesh",
        "vi": "load: {name!r} là đám mây {points:,} điểm; đã được tự động dựng lưới (Poisson). Để có bề mặt "
              "tốt hơn, hãy dựng lưới trong phần mềm của máy quét rồi tải lưới lên",
    },
    "load_missing_mtl": {
        "en": "load: {name!r} names material file {mtl!r}, which is not in the upload; "
              "the mesh is loaded without its materials",
        "vi": "load: {name!r} dùng tệp vật liệu {mtl!r} nhưng tệp này không có trong bản tải lên; lưới được "
              "nạp không kèm vật liệu",
    },
    "orient_up_detected": {
        "en": "orient_up: up axis detected as {up} (the {fmt} convention is {convention}): {reason}; if the "
              "artefact is not upright, declare up_axis in its metadata",
        "vi": "orient_up: trục hướng lên được nhận là {up} (quy ước của {fmt} là {convention}): {reason}; nếu "
              "hiện vật không đứng thẳng, hãy khai báo up_axis trong hồ sơ",
    },
    "repair_removed": {
        "en": "repair: removed {degenerate:,} degenerate and {duplicate:,} duplicate faces",
        "vi": "repair: đã bỏ {degenerate:,} mặt suy biến và {duplicate:,} mặt trùng lặp",
    },
    "scale_guessed_mm": {
        "en": "scale: no unit declared and the scan is {extent:.0f} units across; assumed millimetres",
        "vi": "scale: chưa khai báo đơn vị và bản quét rộng {extent:.0f} đơn vị; đã coi là milimét",
    },
    "scale_out_of_range": {
        "en": "scale: the artefact is {size:.4g} m across, outside {low}-{high} m; check the unit or declare "
              "the physical size",
        "vi": "scale: hiện vật rộng {size:.4g} m, ngoài khoảng {low}-{high} m; hãy kiểm tra đơn vị hoặc khai "
              "báo kích thước thật",
    },
    "step_failed": {
        "en": "{name}: failed ({error}); the 3D files are fine",
        "vi": "{name}: không tạo được ({error}); các tệp 3D vẫn tốt",
    },
}
