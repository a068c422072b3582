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

const float PI = 3.14159265;

vec3 srgb_to_linear(vec3 c) {
    return mix(c / 12.92, pow((c + 0.055) / 1.055, vec3(2.4)), step(0.04045, c));
}
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
    if (has_base) base *= vec4(srgb_to_linear(texture(t_base, v_uv).rgb), texture(t_base, v_uv).a);
    if (base.a < alpha_cutoff) discard;
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

    // three broad studio lights, GGX with a roughness floor against hot spots
    float a = max(rough, 0.35);
    a = a * a;
    for (int i = 0; i < 3; i++) {
        vec3 l = normalize(light_dir[i]);
        float nl = max(dot(n, l), 0.0);
        if (nl <= 0.0) continue;
        vec3 h = normalize(l + v);
        float nh = max(dot(n, h), 0.0);
        float dd = nh * nh * (a * a - 1.0) + 1.0;
        float D = a * a / (PI * dd * dd);
        float k = a / 2.0;
        float vis = 0.25 / ((nl * (1.0 - k) + k) * (nv * (1.0 - k) + k));
        vec3 F = f0 + (1.0 - f0) * pow(1.0 - max(dot(v, h), 0.0), 5.0);
        color += (diffuse * (1.0 - F) + D * vis * F * PI) * nl * light_col[i] * mix(1.0, ao, 0.5);
    }
    vec3 emissive = emissive_factor;
    if (has_emissive) emissive *= srgb_to_linear(texture(t_emissive, v_uv).rgb);
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
