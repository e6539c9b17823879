//! A signature pad: draw with a mouse, a pen or a finger. Pointer events
//! cover all three; the canvas is sized to its box times devicePixelRatio so
//! strokes stay sharp; `touch-action: none` keeps the page from scrolling
//! while drawing. Strokes are smoothed with quadratic curves through the
//! midpoints of the sampled points.

use leptos::html::Canvas;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// What the pad gives its owner.
#[derive(Clone, Copy)]
pub struct Pad {
    pub canvas: NodeRef<Canvas>,
    /// True until something was drawn (Clear sets it again).
    pub empty: RwSignal<bool>,
}

impl Pad {
    pub fn new() -> Self {
        Pad {
            canvas: NodeRef::new(),
            empty: RwSignal::new(true),
        }
    }

    /// The drawing as `data:image/png;base64,...`, or `None` when empty.
    pub fn png_data_url(&self) -> Option<String> {
        if self.empty.get_untracked() {
            return None;
        }
        self.canvas.get_untracked().and_then(|c| c.to_data_url_with_type("image/png").ok())
    }
}

fn context(canvas: &web_sys::HtmlCanvasElement) -> Option<web_sys::CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into().ok())
}

/// Sizes the backing store to the CSS box × devicePixelRatio (clears it),
/// within the largest signature the server takes (1600×600 pixels).
fn fit(canvas: &web_sys::HtmlCanvasElement) {
    let rect = canvas.get_bounding_client_rect();
    let dpr = window()
        .device_pixel_ratio()
        .min(1600.0 / rect.width().max(1.0))
        .min(600.0 / rect.height().max(1.0))
        .max(1.0);
    canvas.set_width((rect.width() * dpr).round().max(1.0) as u32);
    canvas.set_height((rect.height() * dpr).round().max(1.0) as u32);
    if let Some(ctx) = context(canvas) {
        let _ = ctx.set_transform(dpr, 0.0, 0.0, dpr, 0.0, 0.0);
        ctx.set_line_cap("round");
        ctx.set_line_join("round");
        ctx.set_stroke_style_str("#10203a");
    }
}

#[component]
pub fn SignaturePad(pad: Pad) -> impl IntoView {
    // Points of the stroke being drawn, in CSS pixels.
    let points = StoredValue::new(Vec::<(f64, f64)>::new());
    let drawing = StoredValue::new(false);

    Effect::new(move |_| {
        if let Some(c) = pad.canvas.get() {
            // Reached by a link inside the app, the pad can be mounted
            // before it is laid out (no size yet): it is fitted at the
            // first stroke instead (see `down`).
            if c.get_bounding_client_rect().width() > 0.0 {
                fit(&c);
            }
            // Ready to draw on (for the browser tests and benchmarks).
            let _ = c.set_attribute("data-ready", "true");
        }
    });
    // A new size (a tablet turned, a window resized) needs a new backing
    // store, or strokes would land off the finger; that clears the pad.
    let last_width = StoredValue::new(0.0f64);
    let handle = window_event_listener(leptos::ev::resize, move |_| {
        let Some(c) = pad.canvas.get_untracked() else { return };
        let w = c.get_bounding_client_rect().width();
        if (w - last_width.get_value()).abs() > 0.5 {
            last_width.set_value(w);
            fit(&c);
            pad.empty.set(true);
        }
    });
    on_cleanup(move || handle.remove());
    Effect::new(move |_| {
        if let Some(c) = pad.canvas.get() {
            last_width.set_value(c.get_bounding_client_rect().width());
        }
    });

    let pos = move |ev: &web_sys::PointerEvent| (ev.offset_x() as f64, ev.offset_y() as f64);
    let width_for = |ev: &web_sys::PointerEvent| {
        // Pens report pressure; mice and most fingers report 0.5.
        let p = ev.pressure() as f64;
        if ev.pointer_type() == "pen" && p > 0.0 {
            1.2 + p * 2.6
        } else {
            2.4
        }
    };

    let down = move |ev: web_sys::PointerEvent| {
        ev.prevent_default();
        let Some(c) = pad.canvas.get_untracked() else { return };
        // Not fitted to its box yet (mounted before layout): fit it now,
        // before the first stroke, or the drawing would land nowhere.
        let css_width = c.get_bounding_client_rect().width();
        if pad.empty.get_untracked() && (c.width() as f64) < css_width.min(1600.0) - 1.0 {
            fit(&c);
            last_width.set_value(css_width);
        }
        let _ = c.set_pointer_capture(ev.pointer_id());
        drawing.set_value(true);
        let p = pos(&ev);
        points.set_value(vec![p]);
        if let Some(ctx) = context(&c) {
            // A dot, so that a tap leaves a mark.
            ctx.begin_path();
            ctx.set_fill_style_str("#10203a");
            let _ = ctx.arc(p.0, p.1, width_for(&ev) / 2.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
        }
    };
    let mv = move |ev: web_sys::PointerEvent| {
        if !drawing.get_value() {
            return;
        }
        ev.prevent_default();
        let Some(c) = pad.canvas.get_untracked() else { return };
        let Some(ctx) = context(&c) else { return };
        let p = pos(&ev);
        points.update_value(|pts| pts.push(p));
        let pts = points.get_value();
        let n = pts.len();
        if n < 3 {
            return;
        }
        // Curve from the midpoint of the last two segments, through the
        // previous point, to the midpoint of the newest segment.
        let (a, b, c2) = (pts[n - 3], pts[n - 2], pts[n - 1]);
        let m1 = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        let m2 = ((b.0 + c2.0) / 2.0, (b.1 + c2.1) / 2.0);
        ctx.set_line_width(width_for(&ev));
        ctx.begin_path();
        ctx.move_to(m1.0, m1.1);
        ctx.quadratic_curve_to(b.0, b.1, m2.0, m2.1);
        ctx.stroke();
        pad.empty.set(false);
    };
    let up = move |_ev: web_sys::PointerEvent| {
        if drawing.get_value() {
            drawing.set_value(false);
            if !points.get_value().is_empty() {
                pad.empty.set(false);
            }
        }
    };
    let clear = move |_| {
        if let Some(c) = pad.canvas.get_untracked() {
            fit(&c);
        }
        pad.empty.set(true);
    };

    view! {
        <div class="signature">
            <canvas
                node_ref=pad.canvas
                class="signature-pad"
                data-testid="signature-pad"
                aria-label="Signature pad: sign here"
                on:pointerdown=down
                on:pointermove=mv
                on:pointerup=up
                on:pointercancel=up
                on:pointerleave=up
            ></canvas>
            <div class="signature-foot">
                <span class="muted small">{move || if pad.empty.get() { "Sign above with a mouse, pen or finger." } else { "Signed." }}</span>
                <button type="button" class="button ghost" on:click=clear>"Clear"</button>
            </div>
        </div>
    }
}
