//! One theme for every colour on screen; NO_COLOR turns them all off.

use crate::engine::model::Severity;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        Theme {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub fn text(&self) -> Style {
        Style::new()
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn title(&self) -> Style {
        self.fg(Color::Cyan).add_modifier(Modifier::BOLD)
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }
    pub fn selected(&self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Rgb(40, 44, 60))
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
    pub fn tab_active(&self) -> Style {
        self.fg(Color::Cyan)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }
    pub fn good(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn bad(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn band(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Rgb(70, 90, 120))
        } else {
            Style::new()
        }
    }
    pub fn line(&self) -> Style {
        self.fg(Color::LightBlue)
    }
    pub fn accent(&self) -> Style {
        self.fg(Color::Magenta)
    }
    pub fn gauge(&self) -> Style {
        if self.color {
            Style::new().fg(Color::Cyan).bg(Color::Rgb(30, 30, 40))
        } else {
            Style::new()
        }
    }
    /// Style for a severity label.
    pub fn severity(&self, s: Option<Severity>) -> Style {
        match s {
            Some(Severity::Critical | Severity::High) => self.bad(),
            Some(Severity::Medium) => self.warn(),
            Some(Severity::Low) => self.fg(Color::LightYellow),
            None => self.dim(),
        }
    }
}
