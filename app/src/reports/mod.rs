//! Reports: where the money goes. `/spend` (committed spend per month,
//! stacked by vendor or company, top companies and vendors) and the small
//! chart on a company's page. Charts are SVG drawn on the server: they show
//! before hydration, print, and add no charting library to the browser.

mod api;
mod chart;
mod spend_page;

pub use api::*;
pub use chart::{CompanySpend, StackedBars};
pub use spend_page::SpendPage;
