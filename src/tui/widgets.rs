//! Widgets of our own: a sparkline drawn against a baseline band.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::widgets::Widget;

/// A metric's history, one column per run (newest right), against the band
/// `lo..hi` with its centre. Rows inside the band are shaded, the centre is a
/// line, points outside the band use `out_style`, change points are marked.
pub struct BandSparkline<'a> {
    pub values: &'a [f64],
    pub band: Option<(f64, f64, f64)>,
    /// Absolute bounds drawn as a dashed line (SLO thresholds).
    pub thresholds: &'a [f64],
    pub change_points: &'a [usize],
    pub point_style: Style,
    pub out_style: Style,
    pub band_style: Style,
    pub center_style: Style,
}

impl BandSparkline<'_> {
    fn range(&self) -> (f64, f64) {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for &v in self.values.iter().chain(self.thresholds) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if let Some((l, _, h)) = self.band {
            lo = lo.min(l);
            hi = hi.max(h);
        }
        if !lo.is_finite() || !hi.is_finite() {
            return (0.0, 1.0);
        }
        if hi - lo < 1e-12 {
            let pad = (hi.abs() * 0.05).max(1e-6);
            return (lo - pad, hi + pad);
        }
        (lo, hi)
    }
}

impl Widget for BandSparkline<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width == 0 || area.height == 0 {
            return;
        }
        let (lo, hi) = self.range();
        let h = area.height as f64;
        // Row for a value, 0 = top.
        let row = |v: f64| -> u16 {
            let f = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
            let r = ((1.0 - f) * (h - 1.0)).round();
            r as u16
        };
        let n = self.values.len().min(area.width as usize);
        let start = self.values.len() - n;
        // Few samples get room (up to 3 columns each) and the band spans only them,
        // rather than a full-width band with the points crammed at the right edge.
        let step = (area.width as usize / n.max(1)).clamp(1, 3) as u16;
        let x0 = area.x + area.width - n as u16 * step;
        if let Some((bl, bc, bh)) = self.band {
            let (top, bottom, mid) = (row(bh), row(bl), row(bc));
            for x in x0..area.x + area.width {
                for r in top..=bottom {
                    buf[(x, area.y + r)]
                        .set_symbol("░")
                        .set_style(self.band_style);
                }
                buf[(x, area.y + mid)]
                    .set_symbol("─")
                    .set_style(self.center_style);
            }
        }
        for &t in self.thresholds {
            let r = row(t);
            for x in (area.x..area.x + area.width).step_by(2) {
                buf[(x, area.y + r)]
                    .set_symbol("╌")
                    .set_style(self.out_style);
            }
        }
        for (i, &v) in self.values[start..].iter().enumerate() {
            let x = x0 + i as u16 * step + step / 2;
            let inside = self.band.is_none_or(|(l, _, hh)| v >= l && v <= hh);
            let style = if inside {
                self.point_style
            } else {
                self.out_style
            };
            let symbol = if self.change_points.contains(&(start + i)) {
                "◆"
            } else {
                "●"
            };
            buf[(x, area.y + row(v))]
                .set_symbol(symbol)
                .set_style(style);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_sit_in_and_out_of_the_band() {
        let values = [10.0, 10.5, 9.5, 10.0, 14.0];
        let w = BandSparkline {
            values: &values,
            band: Some((9.0, 10.0, 11.0)),
            thresholds: &[],
            change_points: &[4],
            point_style: Style::new(),
            out_style: Style::new(),
            band_style: Style::new(),
            center_style: Style::new(),
        };
        let area = Rect::new(0, 0, 6, 5);
        let mut buf = Buffer::empty(area);
        w.render(area, &mut buf);
        assert_eq!(
            buf,
            Buffer::with_lines(["     ◆", "      ", " ░░░░░", " ●●─●─", " ░░●░░",])
        );
    }

    #[test]
    fn few_points_get_room_and_the_band_spans_only_them() {
        let values = [10.0, 10.0];
        let w = BandSparkline {
            values: &values,
            band: Some((9.0, 10.0, 11.0)),
            thresholds: &[],
            change_points: &[],
            point_style: Style::new(),
            out_style: Style::new(),
            band_style: Style::new(),
            center_style: Style::new(),
        };
        let area = Rect::new(0, 0, 12, 3);
        let mut buf = Buffer::empty(area);
        w.render(area, &mut buf);
        assert_eq!(
            buf,
            Buffer::with_lines(["      ░░░░░░", "      ─●──●─", "      ░░░░░░"])
        );
    }
}
