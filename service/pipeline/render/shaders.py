"""
shaders.py
----------

GLSL 3.30 sources for the preview renderer: a metallic-roughness PBR
surface lit by a soft studio rig (hemisphere ambient plus three broad lights,
close to model-viewer's "neutral" environment), Khronos PBR Neutral tone
mapping and sRGB output; a studio backdrop; a contact-shadow ground quad; and
the height pass that builds the shadow.
"""

from __future__ import annotations

MESH_VS = """
#version 330
uniform mat4 mvp;
in vec3 in_pos;
in vec3 in_normal;
in vec2 in_uv;
in vec4 in_color;
out vec3 v_pos;
out vec3 v_normal;
out vec2 v_uv;
out vec4 v_color;
void main() {
    v_pos = in_pos;
    v_normal = in_normal;
    v_uv = in_uv;
    v_color = in_color;
    gl_Position = mvp * vec4(in_pos, 1.0);
}
"""

MESH_FS = """
#version 330
// MASK is defined only for alphaMode MASK materials: `discard` turns off early
// depth testing on llvmpipe, which costs a lot with overdraw
in vec3 v_pos;
in vec3 v_normal;
in vec2 v_uv;
in vec4 v_color;
uniform sampler2D t_base;
uniform sampler2D t_mr;
uniform sampler2D t_normal;
uniform sampler2D t_occ;
uniform sampler2D t_emissive;
uniform bool has_base;
uniform bool has_mr;
uniform bool has_normal;
uniform bool has_occ;
uniform bool has_emissive;
uniform vec4 base_factor;
uniform float metallic_factor;
uniform float roughness_factor;
uniform float occ_strength;
uniform vec3 emissive_factor;
uniform float alpha_cutoff;
uniform vec3 cam_pos;
uniform vec3 light_dir[3];
uniform vec3 light_col[3];
uniform vec3 sky;
uniform vec3 ground;
uniform float exposure;
out vec4 f_color;

vec3 linear_to_srgb(vec3 c) {
    c = clamp(c, 0.0, 1.0);
    return mix(c * 12.92, 1.055 * pow(c, vec3(1.0 / 2.4)) - 0.055, step(0.0031308, c));
}
// Khronos PBR Neutral (model-viewer's default tone mapping)
vec3 neutral(vec3 color) {
    const float start = 0.8 - 0.04;
    const float desat = 0.15;
    float x = min(color.r, min(color.g, color.b));
    float offset = x < 0.08 ? x - 6.25 * x * x : 0.04;
    color -= offset;
    float peak = max(color.r, max(color.g, color.b));
    if (peak < start) return color;
    const float d = 1.0 - start;
    float new_peak = 1.0 - d * d / (peak + d - start);
    color *= new_peak / peak;
    float g = 1.0 - 1.0 / (desat * (peak - new_peak) + 1.0);
    return mix(color, vec3(new_peak), g);
}
// normal mapping without precomputed tangents (Schueler 2013)
vec3 perturb(vec3 n, vec3 p, vec2 uv, vec3 tn) {
    vec3 dp1 = dFdx(p);
    vec3 dp2 = dFdy(p);
    vec2 duv1 = dFdx(uv);
    vec2 duv2 = dFdy(uv);
    vec3 dp2perp = cross(dp2, n);
    vec3 dp1perp = cross(n, dp1);
    vec3 t = dp2perp * duv1.x + dp1perp * duv2.x;
    vec3 b = dp2perp * duv1.y + dp1perp * duv2.y;
    float invmax = inversesqrt(max(dot(t, t), dot(b, b)) + 1e-20);
    // glTF: +V points down the image, so the bitangent flips
    return normalize(mat3(t * invmax, -b * invmax, n) * tn);
}
vec3 hemi(vec3 d) {
    return mix(ground, sky, clamp(d.y * 0.5 + 0.5, 0.0, 1.0));
}
void main() {
    vec4 base = base_factor * v_color;
    // textures with colour data are uploaded as sRGB: the sampler decodes them
    if (has_base) base *= texture(t_base, v_uv);
#ifdef MASK
    if (base.a < alpha_cutoff) discard;
#endif
    float metal = metallic_factor;
    float rough = roughness_factor;
    if (has_mr) {
        vec4 mr = texture(t_mr, v_uv);
        rough *= mr.g;
        metal *= mr.b;
    }
    rough = clamp(rough, 0.05, 1.0);
    vec3 n = normalize(v_normal);
    if (!gl_FrontFacing) n = -n;
    if (has_normal) n = perturb(n, v_pos, v_uv, texture(t_normal, v_uv).xyz * 2.0 - 1.0);
    vec3 v = normalize(cam_pos - v_pos);
    float nv = max(dot(n, v), 1e-4);
    vec3 diffuse = base.rgb * (1.0 - metal);
    vec3 f0 = mix(vec3(0.04), base.rgb, metal);
    float ao = has_occ ? 1.0 + occ_strength * (texture(t_occ, v_uv).r - 1.0) : 1.0;

    // ambient: hemisphere irradiance and a Karis analytic environment BRDF
    vec4 c0 = vec4(-1.0, -0.0275, -0.572, 0.022);
    vec4 c1 = vec4(1.0, 0.0425, 1.04, -0.04);
    vec4 rr = rough * c0 + c1;
    float a004 = min(rr.x * rr.x, exp2(-9.28 * nv)) * rr.x + rr.y;
    vec2 ab = vec2(-1.04, 1.04) * a004 + rr.zw;
    vec3 r = reflect(-v, n);
    vec3 spec_env = mix(hemi(r), hemi(n), rough * rough) * (f0 * ab.x + ab.y);
    vec3 color = (diffuse * hemi(n) + spec_env) * ao;

    // three broad studio lights; only the key gets a GGX highlight (with a
    // roughness floor against hot spots): the others are diffuse, which halves
    // the cost per pixel on llvmpipe
    vec3 F = f0 + (1.0 - f0) * pow(1.0 - nv, 5.0);
    vec3 kd = diffuse * (1.0 - F) * mix(1.0, ao, 0.5);
    for (int i = 0; i < 3; i++) {
        color += kd * max(dot(n, light_dir[i]), 0.0) * light_col[i];
    }
    vec3 l = light_dir[0];
    float nl = max(dot(n, l), 0.0);
    vec3 h = normalize(l + v);
    float nh = max(dot(n, h), 0.0);
    float a = max(rough, 0.35);
    a = a * a;
    float dd = nh * nh * (a * a - 1.0) + 1.0;
    float k = a / 2.0;
    float spec = a * a / (dd * dd) * 0.25 / ((nl * (1.0 - k) + k) * (nv * (1.0 - k) + k));
    color += spec * F * nl * light_col[0] * ao;
    vec3 emissive = emissive_factor;
    if (has_emissive) emissive *= texture(t_emissive, v_uv).rgb;
    color = neutral(color * exposure + emissive);
    f_color = vec4(linear_to_srgb(color), 1.0);
}
"""

# full-screen triangle: soft grey studio sweep, lighter at the top and centre
BACKDROP_VS = """
#version 330
out vec2 v_ndc;
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2) * 2.0 - 1.0;
    v_ndc = p;
    gl_Position = vec4(p, 0.999, 1.0);
}
"""

BACKDROP_FS = """
#version 330
in vec2 v_ndc;
uniform vec3 top;
uniform vec3 bottom;
uniform float aspect;
out vec4 f_color;
void main() {
    vec3 c = mix(bottom, top, smoothstep(-1.0, 1.0, v_ndc.y));
    float vignette = length(vec2(v_ndc.x * aspect, v_ndc.y)) / length(vec2(aspect, 1.0));
    c *= 1.0 - 0.06 * vignette * vignette;
    f_color = vec4(c, 1.0);
}
"""

SHADOW_VS = """
#version 330
uniform mat4 mvp;
in vec3 in_pos;
in vec2 in_uv;
out vec2 v_uv;
void main() {
    v_uv = in_uv;
    gl_Position = mvp * vec4(in_pos, 1.0);
}
"""

SHADOW_FS = """
#version 330
in vec2 v_uv;
uniform sampler2D t_shadow;
uniform float intensity;
out vec4 f_color;
void main() {
    f_color = vec4(0.0, 0.0, 0.0, texture(t_shadow, v_uv).r * intensity);
}
"""

# orthographic view from below: depth and colour are the height above the floor
HEIGHT_VS = """
#version 330
uniform vec4 box;  // centre x, centre z, half extent, height
uniform float floor_y;
in vec3 in_pos;
out float v_h;
void main() {
    v_h = clamp((in_pos.y - floor_y) / box.w, 0.0, 1.0);
    gl_Position = vec4((in_pos.x - box.x) / box.z, (in_pos.z - box.y) / box.z, v_h * 2.0 - 1.0, 1.0);
}
"""

HEIGHT_FS = """
#version 330
in float v_h;
out vec4 f_color;
void main() {
    f_color = vec4(v_h, 0.0, 0.0, 1.0);
}
"""

# FXAA (Lottes' console variant): cheap edge smoothing for turntable frames,
# where MSAA costs 2.5x per frame on llvmpipe
FXAA_FS = """
#version 330
uniform sampler2D t_src;
uniform vec2 inv_size;
out vec4 f_color;
void main() {
    vec2 uv = gl_FragCoord.xy * inv_size;
    vec3 luma = vec3(0.299, 0.587, 0.114);
    // unfiltered fetches for the edge test: most pixels stop there
    ivec2 p = ivec2(gl_FragCoord.xy);
    ivec2 hi = textureSize(t_src, 0) - 1;
    vec4 m = texelFetch(t_src, p, 0);
    float lnw = dot(texelFetch(t_src, clamp(p + ivec2(-1, -1), ivec2(0), hi), 0).rgb, luma);
    float lne = dot(texelFetch(t_src, clamp(p + ivec2(1, -1), ivec2(0), hi), 0).rgb, luma);
    float lsw = dot(texelFetch(t_src, clamp(p + ivec2(-1, 1), ivec2(0), hi), 0).rgb, luma);
    float lse = dot(texelFetch(t_src, clamp(p + ivec2(1, 1), ivec2(0), hi), 0).rgb, luma);
    float lm = dot(m.rgb, luma);
    float lmin = min(lm, min(min(lnw, lne), min(lsw, lse)));
    float lmax = max(lm, max(max(lnw, lne), max(lsw, lse)));
    if (lmax - lmin < max(0.0312, lmax * 0.125)) {
        f_color = m;
        return;
    }
    vec2 dir = vec2(-((lnw + lne) - (lsw + lse)), (lnw + lsw) - (lne + lse));
    float reduce = max((lnw + lne + lsw + lse) * 0.03125, 1.0 / 128.0);
    float rcp = 1.0 / (min(abs(dir.x), abs(dir.y)) + reduce);
    dir = clamp(dir * rcp, vec2(-8.0), vec2(8.0)) * inv_size;
    vec4 a = 0.5 * (texture(t_src, uv + dir * (1.0 / 3.0 - 0.5)) + texture(t_src, uv + dir * (2.0 / 3.0 - 0.5)));
    vec4 b = a * 0.5 + 0.25 * (texture(t_src, uv - dir * 0.5) + texture(t_src, uv + dir * 0.5));
    float lb = dot(b.rgb, luma);
    f_color = (lb < lmin || lb > lmax) ? a : b;
}
"""
