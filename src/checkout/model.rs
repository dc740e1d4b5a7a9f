//! Checkout domain types: addresses, shipping, totals, cards for the test gateway, order numbers.

use crate::{
    cart::model::CartLine,
    error::FieldError,
    platform::money::Money,
    promotions::model::{Discount, Offer},
};
use serde::{Deserialize, Serialize};

/// How an order travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShippingMethod {
    Standard,
    Express,
}

impl ShippingMethod {
    pub const ALL: [ShippingMethod; 2] = [ShippingMethod::Standard, ShippingMethod::Express];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Express => "express",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Standard => "Standard shipping",
            Self::Express => "Express shipping",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == text)
    }
}

/// Shipping prices from the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingRates {
    pub standard: Money,
    pub express: Money,
    /// Standard shipping is free from this subtotal on.
    pub free_over: Money,
}

#[cfg(feature = "ssr")]
impl From<crate::platform::config::Shipping> for ShippingRates {
    fn from(shipping: crate::platform::config::Shipping) -> Self {
        Self {
            standard: shipping.standard,
            express: shipping.express,
            free_over: shipping.free_over,
        }
    }
}

impl ShippingRates {
    pub fn price(&self, method: ShippingMethod, subtotal: Money) -> Money {
        match method {
            ShippingMethod::Standard if subtotal >= self.free_over => Money::default(),
            ShippingMethod::Standard => self.standard,
            ShippingMethod::Express => self.express,
        }
    }
}

/// What an order costs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: Money,
    /// What a promotion takes off the items and the shipping.
    pub discount: Money,
    pub shipping: Money,
    pub tax: Money,
    pub total: Money,
}

impl Totals {
    /// Tax is charged on what the items cost after their discount (not on shipping) at
    /// `tax_basis_points` (725 = 7.25%), once for the whole order, rounded half up to the cent.
    pub fn compute(
        subtotal: Money,
        discount: &Discount,
        shipping: Money,
        tax_basis_points: i64,
    ) -> Self {
        let taxed = (subtotal.minor() - discount.items().minor()).max(0);
        let tax = (taxed * tax_basis_points + 5_000) / 10_000;
        let tax = Money::from_minor(tax).unwrap_or_default();
        let discount = discount.total();
        let total =
            Money::from_minor(subtotal.minor() - discount.minor() + shipping.minor() + tax.minor())
                .unwrap_or_default();
        Self {
            subtotal,
            discount,
            shipping,
            tax,
            total,
        }
    }
}

/// Prices a cart whose lines cost `lines` (minor units, in order): shipping by `method` (free
/// over the threshold counts the items before any discount), the `offer`'s discount shared
/// across its lines, and tax on the discounted items. The checkout page and "Place order" both
/// price with this, so what the shopper saw is what the order records.
pub fn price(
    lines: &[i64],
    offer: Option<&Offer>,
    rates: &ShippingRates,
    method: ShippingMethod,
    tax_basis_points: i64,
) -> (Totals, Discount) {
    let subtotal = Money::from_minor(lines.iter().sum()).unwrap_or_default();
    let shipping = rates.price(method, subtotal);
    let discount = offer.map_or_else(
        || Discount {
            lines: vec![0; lines.len()],
            shipping: Money::default(),
        },
        |offer| offer.benefit.apply(lines, &offer.eligible, shipping),
    );
    (
        Totals::compute(subtotal, &discount, shipping, tax_basis_points),
        discount,
    )
}

/// A saved shipping address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub id: i64,
    pub full_name: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub region: String,
    pub postal_code: String,
    pub country: String,
    pub phone: String,
    pub is_default: bool,
}

impl Address {
    /// The address on lines, as a label prints it.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = vec![self.full_name.clone(), self.line1.clone()];
        if !self.line2.is_empty() {
            lines.push(self.line2.clone());
        }
        let mut city = self.city.clone();
        if !self.region.is_empty() {
            city = format!("{city}, {}", self.region);
        }
        lines.push(format!("{city} {}", self.postal_code));
        lines.push(country_name(&self.country).to_owned());
        if !self.phone.is_empty() {
            lines.push(self.phone.clone());
        }
        lines
    }
}

/// The countries the shop can ship to, with their names.
pub const COUNTRIES: [(&str, &str); 6] = [
    ("US", "United States"),
    ("CA", "Canada"),
    ("GB", "United Kingdom"),
    ("DE", "Germany"),
    ("FR", "France"),
    ("AU", "Australia"),
];

pub fn country_name(code: &str) -> &str {
    label_in(&COUNTRIES, code)
}

/// The label `table` gives `code`, or the code itself when the table does not know it.
fn label_in<'a>(table: &'a [(&'a str, &'a str)], code: &'a str) -> &'a str {
    table
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(code, |(_, label)| label)
}

/// The address form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    pub full_name: String,
    #[serde(default)]
    pub line1: String,
    #[serde(default)]
    pub line2: String,
    #[serde(default)]
    pub city: String,
    #[serde(default)]
    pub region: String,
    #[serde(default)]
    pub postal_code: String,
    #[serde(default)]
    pub country: String,
    #[serde(default)]
    pub phone: String,
}

impl AddressForm {
    /// Trims every field and reports every problem at once.
    pub fn check(&self) -> Result<AddressForm, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut field = |name: &str, value: &str, required: Option<&str>, max: usize| {
            let value = value.trim().to_owned();
            if value.is_empty()
                && let Some(message) = required
            {
                errors.push(FieldError::new(name, message));
            } else if value.chars().count() > max {
                errors.push(FieldError::new(
                    name,
                    format!("Keep this to {max} characters."),
                ));
            }
            value
        };
        let checked = AddressForm {
            full_name: field(
                "full_name",
                &self.full_name,
                Some("Enter the full name."),
                100,
            ),
            line1: field("line1", &self.line1, Some("Enter the street address."), 200),
            line2: field("line2", &self.line2, None, 200),
            city: field("city", &self.city, Some("Enter the city."), 100),
            region: field("region", &self.region, None, 100),
            postal_code: field(
                "postal_code",
                &self.postal_code,
                Some("Enter the postal code."),
                20,
            ),
            country: self.country.trim().to_ascii_uppercase(),
            phone: field("phone", &self.phone, None, 30),
        };
        if !COUNTRIES.iter().any(|(code, _)| *code == checked.country) {
            errors.push(FieldError::new("country", "Choose a country we ship to."));
        }
        if !checked
            .phone
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        {
            errors.push(FieldError::new(
                "phone",
                "Use digits, spaces and + - ( ) only.",
            ));
        }
        if errors.is_empty() {
            Ok(checked)
        } else {
            Err(errors)
        }
    }
}

/// Card details for the offline test gateway.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub expiry: String,
    #[serde(default)]
    pub cvc: String,
}

/// A card that passed the checks: its digits only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Card {
    pub number: String,
}

/// True when `digits` passes the Luhn checksum.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let Some(mut d) = c.to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum % 10 == 0
}

impl CardForm {
    /// Checks the fields; `today` is (year, month) for the expiry.
    pub fn check(&self, today: (u32, u32)) -> Result<Card, Vec<FieldError>> {
        let mut errors = Vec::new();
        let number: String = self
            .number
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .collect();
        if !(12..=19).contains(&number.len())
            || !number.chars().all(|c| c.is_ascii_digit())
            || !luhn(&number)
        {
            errors.push(FieldError::new(
                "card[number]",
                "Enter a valid card number.",
            ));
        }
        let expiry: String = self.expiry.chars().filter(|c| !c.is_whitespace()).collect();
        let parsed = expiry.split_once('/').and_then(|(m, y)| {
            let month: u32 = m.parse().ok()?;
            let year: u32 = y.parse().ok()?;
            let year = if y.len() == 2 { 2000 + year } else { year };
            ((1..=12).contains(&month) && (2000..=2100).contains(&year)).then_some((year, month))
        });
        match parsed {
            None => errors.push(FieldError::new(
                "card[expiry]",
                "Enter the expiry date as MM/YY.",
            )),
            Some(expires) if expires < today => {
                errors.push(FieldError::new("card[expiry]", "This card has expired."))
            }
            Some(_) => {}
        }
        let cvc = self.cvc.trim();
        if !(3..=4).contains(&cvc.len()) || !cvc.chars().all(|c| c.is_ascii_digit()) {
            errors.push(FieldError::new(
                "card[cvc]",
                "Enter the 3 or 4 digits on the back of the card.",
            ));
        }
        if errors.is_empty() {
            Ok(Card { number })
        } else {
            Err(errors)
        }
    }
}

/// The alphabet of order numbers: Crockford's base 32 (no I, L, O, U).
const ORDER_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// An order number such as `EM-7K3F-9QX2`, made from 40 random bits.
pub fn order_number(random: u64) -> String {
    let symbol = |i: u32| char::from(ORDER_ALPHABET[((random >> (5 * i)) & 31) as usize]);
    let part = |from: u32| (from..from + 4).map(symbol).collect::<String>();
    format!("EM-{}-{}", part(0), part(4))
}

/// True for text shaped like an order number.
pub fn is_order_number(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 12
        && text.starts_with("EM-")
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .filter(|(i, _)| ![0, 1, 2, 7].contains(i))
            .all(|(_, b)| ORDER_ALPHABET.contains(b))
}

/// The checkout page's key for `user`'s cart with `digest` (`db::cart_digest`): a fresh `nonce`
/// (32 hex digits) and the server's signature of the three (32 more), so "Place order" takes
/// only keys the shop issued, for this shopper and this cart.
#[cfg(feature = "ssr")]
pub fn checkout_key(
    keys: &crate::platform::tokens::TokenKeys,
    user: i64,
    digest: &str,
    nonce: &str,
) -> String {
    let signature = keys.sign("checkout", &format!("{user}:{nonce}:{digest}"));
    format!("{nonce}{signature}")
}

/// True when `key` is `checkout_key` for this user and cart digest.
#[cfg(feature = "ssr")]
pub fn key_is_valid(
    keys: &crate::platform::tokens::TokenKeys,
    user: i64,
    digest: &str,
    key: &str,
) -> bool {
    key.len() == 64
        && key.is_ascii()
        && keys.verify_signature(
            "checkout",
            &format!("{user}:{}:{digest}", &key[..32]),
            &key[32..],
        )
}

/// The most orders one shopper may have waiting for payment at once: each holds stock, so a
/// script placing orders it never pays cannot empty the shelves.
pub const MAX_UNPAID_ORDERS: i64 = 3;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderStatus {
    PendingPayment,
    Paid,
    PaymentFailed,
    Shipped,
    Delivered,
    Cancelled,
    /// Not paid within the reservation time: its stock went back and nothing was charged.
    Expired,
    /// Everything paid was given back.
    Refunded,
    /// Some of the order's units have shipped, the rest are still to go.
    PartiallyShipped,
}

impl OrderStatus {
    pub const ALL: [Self; 9] = [
        Self::PendingPayment,
        Self::Paid,
        Self::PartiallyShipped,
        Self::PaymentFailed,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Expired,
        Self::Refunded,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The name stored in `orders.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingPayment => "pending_payment",
            Self::Paid => "paid",
            Self::PaymentFailed => "payment_failed",
            Self::Shipped => "shipped",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
            Self::Refunded => "refunded",
            Self::PartiallyShipped => "partially_shipped",
        }
    }

    /// What shoppers and admins read.
    pub fn label(self) -> &'static str {
        match self {
            Self::PendingPayment => "Awaiting payment",
            Self::Paid => "Paid",
            Self::PaymentFailed => "Payment failed",
            Self::Shipped => "Shipped",
            Self::Delivered => "Delivered",
            Self::Cancelled => "Cancelled",
            Self::Expired => "Expired",
            Self::Refunded => "Refunded",
            Self::PartiallyShipped => "Partially shipped",
        }
    }

    /// The statuses an admin may move an order to from this one. Payment outcomes come from
    /// the gateway, never from here; a shipped order can no longer be cancelled.
    pub fn next(self) -> &'static [Self] {
        match self {
            Self::PendingPayment | Self::PaymentFailed => &[Self::Cancelled],
            Self::Paid => &[Self::Shipped, Self::Cancelled],
            Self::PartiallyShipped => &[Self::Shipped],
            Self::Shipped => &[Self::Delivered],
            Self::Delivered | Self::Cancelled | Self::Expired | Self::Refunded => &[],
        }
    }

    /// True while the order holds the use of its promotion: until it fails, expires or is
    /// cancelled (a refunded order was a sale, and keeps it).
    pub fn holds_promotion(self) -> bool {
        !matches!(self, Self::PaymentFailed | Self::Expired | Self::Cancelled)
    }

    /// True when money can be given back on the order: it was paid and is not closed.
    pub fn refundable(self) -> bool {
        self.is_sold()
    }

    /// True for an order that was paid for and not cancelled: a sale.
    pub fn is_sold(self) -> bool {
        matches!(
            self,
            Self::Paid | Self::PartiallyShipped | Self::Shipped | Self::Delivered
        )
    }

    /// True when units of the order may (still) be shipped.
    pub fn ships(self) -> bool {
        matches!(self, Self::Paid | Self::PartiallyShipped)
    }

    /// True when moving here from `self` returns the order's units to stock: the order held
    /// them (a failed payment has already returned them).
    pub fn restocks(self, to: Self) -> bool {
        to == Self::Cancelled && matches!(self, Self::PendingPayment | Self::Paid)
    }
}

/// The statuses of sold orders (`OrderStatus::is_sold`) as an SQL list, for queries that count
/// sales: `o.status IN {SOLD_STATUSES}`.
pub const SOLD_STATUSES: &str = "('paid', 'partially_shipped', 'shipped', 'delivered')";

/// The label for a stored status.
pub fn status_label(status: &str) -> &'static str {
    OrderStatus::parse(status).map_or("Unknown", OrderStatus::label)
}

/// Everything the checkout page shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutView {
    pub lines: Vec<CartLine>,
    pub addresses: Vec<Address>,
    pub rates: ShippingRates,
    /// Sales tax by country code, in basis points.
    pub tax_rates: Vec<(String, i64)>,
    /// Sent back with "Place order", so a resubmission finds the same order.
    pub idempotency_key: String,
    /// E.g. a price that changed since the item was added.
    pub notices: Vec<String>,
    /// Stripe's publishable key when payments go through Stripe (the page then loads Stripe.js);
    /// None for the offline test gateway, whose card fields are the shop's own.
    pub stripe_key: Option<String>,
    /// The automatic promotion the cart gets without a code, if any.
    pub offer: Option<Offer>,
}

/// One line of a paid order as a refund sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaidLine {
    pub position: i64,
    pub title: String,
    pub quantity: i64,
    /// Units given back already.
    pub refunded: i64,
    /// What the shopper paid for the whole line: its price after its discount share, plus its
    /// share of the order's tax.
    pub paid: Money,
}

impl PaidLine {
    /// What `units` more units give back when `self.refunded` have been: each unit's share of
    /// `paid`, counted so that refunding every unit, in any steps, gives back `paid` exactly.
    pub fn refund_of(&self, units: i64) -> Money {
        let paid = i128::from(self.paid.minor());
        let quantity = i128::from(self.quantity.max(1));
        let upto = |n: i64| paid * i128::from(n) / quantity;
        let amount = upto(self.refunded + units) - upto(self.refunded);
        Money::from_minor(i64::try_from(amount).unwrap_or(0)).unwrap_or_default()
    }
}

/// The tax of an order shared across its lines in proportion to what each cost after its
/// discount (largest remainder, so the shares add up to the tax).
pub fn tax_shares(tax: Money, nets: &[i64]) -> Vec<i64> {
    crate::promotions::model::allocate(tax.minor(), nets)
}

/// The refund form on the order desk: units per line (by position), or an amount.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundForm {
    /// Units to give back by the line's index in the order ("0", "1", …); a line left out, or
    /// empty, gives back none.
    #[serde(default)]
    pub quantities: std::collections::BTreeMap<String, String>,
    /// An amount instead of lines, such as "5.00".
    #[serde(default)]
    pub amount: String,
    /// Put refunded units back in stock.
    #[serde(default)]
    pub restock: Option<String>,
    #[serde(default)]
    pub reason: String,
}

/// The units a form asks for of line `i` (the key `"i"` of `quantities`; left out or empty is
/// none), when they are 0 to `left`; otherwise the message for its field, `quantities[i]`.
fn units_of(
    quantities: &std::collections::BTreeMap<String, String>,
    i: usize,
    left: i64,
    title: &str,
) -> Result<i64, FieldError> {
    let text = quantities.get(&i.to_string()).map_or("", |q| q.trim());
    let units = match text {
        "" => 0,
        text => text.parse::<i64>().unwrap_or(-1),
    };
    if (0..=left).contains(&units) {
        Ok(units)
    } else {
        Err(FieldError::new(
            format!("quantities[{i}]"),
            format!("Enter 0 to {left} for “{title}”."),
        ))
    }
}

/// A refund worked out: the money, and the units of each line it gives back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundPlan {
    pub amount: Money,
    /// (position, units, money) for each line with units given back.
    pub lines: Vec<(i64, i64, Money)>,
    pub restock: bool,
    pub reason: String,
}

impl RefundPlan {
    /// Everything still paid for: every unit not yet given back, and the rest of the money
    /// (shipping included). For a full refund, or a paid order cancelled.
    pub fn everything(lines: &[PaidLine], left: Money, reason: &str) -> Self {
        Self {
            amount: left,
            lines: lines
                .iter()
                .filter(|l| l.quantity > l.refunded)
                .map(|l| {
                    (
                        l.position,
                        l.quantity - l.refunded,
                        l.refund_of(l.quantity - l.refunded),
                    )
                })
                .collect(),
            restock: true,
            reason: reason.to_owned(),
        }
    }
}

/// The units a form names per line, as "line 1 × 2, line 3 × 1" (lines counted from 1); empty
/// when it names none.
fn units_named(quantities: &std::collections::BTreeMap<String, String>) -> String {
    let mut named: Vec<(usize, &str)> = quantities
        .iter()
        .filter_map(|(line, units)| Some((line.parse::<usize>().ok()?, units.trim())))
        .filter(|(_, units)| !units.is_empty() && *units != "0")
        .collect();
    named.sort();
    let named: Vec<String> = named
        .into_iter()
        .map(|(line, units)| format!("line {} × {units}", line + 1))
        .collect();
    named.join(", ")
}

impl RefundForm {
    /// What the order desk asked for, as the audit log says it.
    pub fn summary(&self) -> String {
        let amount = self.amount.trim();
        let mut said = if amount.is_empty() {
            units_named(&self.quantities)
        } else {
            format!("amount {amount}")
        };
        if self.restock.is_some() {
            said.push_str(", back to stock");
        }
        let reason = self.reason.trim();
        if !reason.is_empty() {
            said.push_str(&format!(" ({reason})"));
        }
        said
    }

    /// Checks the form against the order's `lines` and the money `left` to give back.
    pub fn plan(&self, lines: &[PaidLine], left: Money) -> Result<RefundPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut chosen = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match units_of(
                &self.quantities,
                i,
                line.quantity - line.refunded,
                &line.title,
            ) {
                Err(error) => errors.push(error),
                Ok(0) => {}
                Ok(units) => chosen.push((line.position, units, line.refund_of(units))),
            }
        }
        let reason = self.reason.trim().to_owned();
        if reason.chars().count() > 500 {
            errors.push(FieldError::new(
                "reason",
                "Keep the reason to 500 characters.",
            ));
        }
        let typed = self.amount.trim();
        let lines_wrong = !errors.is_empty();
        let amount = match (chosen.is_empty(), typed.is_empty()) {
            (false, false) => {
                errors.push(FieldError::new(
                    "amount",
                    "Refund either items or an amount, not both.",
                ));
                Money::default()
            }
            (false, true) => Money::from_minor(chosen.iter().map(|(_, _, m)| m.minor()).sum())
                .unwrap_or_default(),
            (true, false) => Money::parse(typed).unwrap_or_else(|_| {
                errors.push(FieldError::new("amount", "Enter an amount such as 5.00."));
                Money::default()
            }),
            (true, true) => {
                if !lines_wrong {
                    errors.push(FieldError::new(
                        "amount",
                        "Choose items to refund, or enter an amount.",
                    ));
                }
                Money::default()
            }
        };
        if errors.is_empty() && (amount == Money::default() || amount > left) {
            errors.push(FieldError::new(
                "amount",
                format!("Refund more than $0.00 and at most the {left} left."),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(RefundPlan {
            amount,
            restock: self.restock.is_some() && !chosen.is_empty(),
            lines: chosen,
            reason,
        })
    }
}

/// A refund as the order desk lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRow {
    pub id: i64,
    pub amount: Money,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Given when the refund succeeded.
    pub credit_note: Option<String>,
    pub reason: String,
    /// Why the gateway refused it.
    pub failure: String,
    /// The admin's name, or empty when their account is gone.
    pub by: String,
    pub at: i64,
}

/// The carriers the order desk offers, with the page where a parcel is tracked.
pub const CARRIERS: [(&str, &str, &str); 4] = [
    ("ups", "UPS", "https://www.ups.com/track?tracknum="),
    (
        "usps",
        "USPS",
        "https://tools.usps.com/go/TrackConfirmAction?tLabels=",
    ),
    (
        "fedex",
        "FedEx",
        "https://www.fedex.com/fedextrack/?trknbr=",
    ),
    (
        "dhl",
        "DHL",
        "https://www.dhl.com/global-en/home/tracking.html?tracking-id=",
    ),
];

/// The carrier's name for `code` (the code itself for one the shop does not know).
pub fn carrier_name(code: &str) -> &str {
    CARRIERS
        .iter()
        .find(|(c, ..)| *c == code)
        .map_or(code, |(_, name, _)| name)
}

/// The page where `tracking` is followed at `carrier`, when both are known.
pub fn tracking_url(carrier: &str, tracking: &str) -> Option<String> {
    let (_, _, base) = CARRIERS.iter().find(|(c, ..)| *c == carrier)?;
    (!tracking.is_empty()).then(|| format!("{base}{tracking}"))
}

/// A parcel sent for an order, as the shopper and the order desk see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentView {
    /// The carrier's name, or empty when none was given.
    pub carrier: String,
    pub tracking: String,
    pub tracking_url: Option<String>,
    /// (title, units) of each line in the parcel.
    pub lines: Vec<(String, i64)>,
    pub at: i64,
}

/// One line of an order as shipping sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippableLine {
    pub position: i64,
    pub title: String,
    pub quantity: i64,
    /// Units shipped already.
    pub shipped: i64,
}

/// The order desk's "Ship" form: the carrier and tracking number (both optional) and the units
/// of each line in the parcel, by the line's index ("0", "1", …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentForm {
    #[serde(default)]
    pub carrier: String,
    #[serde(default)]
    pub tracking: String,
    /// Left out entirely: every unit still to ship.
    #[serde(default)]
    pub quantities: std::collections::BTreeMap<String, String>,
}

/// A checked shipment: carrier code (or empty), tracking number, and (position, units) per line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShipmentPlan {
    pub carrier: String,
    pub tracking: String,
    pub lines: Vec<(i64, i64)>,
}

impl ShipmentPlan {
    /// Every unit still to ship, untracked.
    pub fn everything(lines: &[ShippableLine]) -> Self {
        Self {
            carrier: String::new(),
            tracking: String::new(),
            lines: lines
                .iter()
                .filter(|l| l.quantity > l.shipped)
                .map(|l| (l.position, l.quantity - l.shipped))
                .collect(),
        }
    }
}

impl ShipmentForm {
    /// What the order desk shipped, as the audit log says it.
    pub fn summary(&self) -> String {
        let units = units_named(&self.quantities);
        let units = if units.is_empty() {
            "every unit left".to_owned()
        } else {
            units
        };
        match (self.carrier.trim(), self.tracking.trim()) {
            ("", _) => units,
            (carrier, "") => format!("{units} by {carrier}"),
            (carrier, tracking) => format!("{units} by {carrier}, tracking {tracking}"),
        }
    }

    pub fn check(&self, lines: &[ShippableLine]) -> Result<ShipmentPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let carrier = self.carrier.trim().to_ascii_lowercase();
        if !carrier.is_empty() && !CARRIERS.iter().any(|(c, ..)| *c == carrier) {
            errors.push(FieldError::new("carrier", "Choose one of the carriers."));
        }
        let tracking = self.tracking.trim().to_owned();
        if tracking.len() > 40
            || !tracking
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            errors.push(FieldError::new(
                "tracking",
                "Use up to 40 letters, digits and dashes.",
            ));
        } else if !tracking.is_empty() && carrier.is_empty() {
            errors.push(FieldError::new(
                "carrier",
                "Choose the carrier of this tracking number.",
            ));
        }
        let plan = if self.quantities.is_empty() {
            ShipmentPlan::everything(lines).lines
        } else {
            let mut chosen = Vec::new();
            for (i, line) in lines.iter().enumerate() {
                match units_of(
                    &self.quantities,
                    i,
                    line.quantity - line.shipped,
                    &line.title,
                ) {
                    Err(error) => errors.push(error),
                    Ok(0) => {}
                    Ok(units) => chosen.push((line.position, units)),
                }
            }
            chosen
        };
        if errors.is_empty() && plan.is_empty() {
            errors.push(FieldError::new(
                "quantities",
                "Choose at least one item to ship.",
            ));
        }
        if errors.is_empty() {
            Ok(ShipmentPlan {
                carrier,
                tracking,
                lines: plan,
            })
        } else {
            Err(errors)
        }
    }
}

/// Why a shopper sends items back: (code stored, what the shopper reads).
pub const RETURN_REASONS: [(&str, &str); 5] = [
    ("damaged", "It arrived damaged"),
    ("wrong_item", "It is not what I ordered"),
    ("not_as_described", "It is not as described"),
    ("unwanted", "I no longer need it"),
    ("other", "Something else"),
];

/// What a shopper reads for a stored reason code.
pub fn return_reason_label(code: &str) -> &str {
    label_in(&RETURN_REASONS, code)
}

/// Where a return stands. The order desk moves it along `next`; the refund settles it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnStatus {
    /// The shopper asked; the order desk has not answered yet.
    Requested,
    /// The shopper may send the items back.
    Approved,
    Rejected,
    /// The items are back at the shop.
    Received,
    Refunded,
}

impl ReturnStatus {
    pub const ALL: [Self; 5] = [
        Self::Requested,
        Self::Approved,
        Self::Rejected,
        Self::Received,
        Self::Refunded,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The name stored in `returns.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Received => "received",
            Self::Refunded => "refunded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Requested => "Requested",
            Self::Approved => "Approved",
            Self::Rejected => "Rejected",
            Self::Received => "Received",
            Self::Refunded => "Refunded",
        }
    }

    /// The steps the order desk may take from here: answer a request, receive what was
    /// approved, refund what was received.
    pub fn next(self) -> &'static [Self] {
        match self {
            Self::Requested => &[Self::Approved, Self::Rejected],
            Self::Approved => &[Self::Received],
            Self::Received => &[Self::Refunded],
            Self::Rejected | Self::Refunded => &[],
        }
    }

    /// True while the return holds its units: a rejected return frees them, a refunded one
    /// counts them as refunded instead.
    pub fn holds_units(self) -> bool {
        matches!(self, Self::Requested | Self::Approved | Self::Received)
    }

    /// The statuses that hold units, as an SQL list: `status IN {holding_sql}`.
    pub fn holding_sql() -> String {
        let names: Vec<String> = Self::ALL
            .into_iter()
            .filter(|s| s.holds_units())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("({})", names.join(", "))
    }
}

/// One line of a delivered order as a return request sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnableLine {
    pub position: i64,
    pub title: String,
    pub quantity: i64,
    /// Units that may still be sent back: neither refunded nor in an open return.
    pub returnable: i64,
}

/// The shopper's "Return items" form: units per line by the line's index ("0", "1", …), a
/// reason code and the shopper's own words.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnForm {
    #[serde(default)]
    pub quantities: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub note: String,
}

/// A checked return request: (position, units) per line, the reason code and the note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReturnPlan {
    pub lines: Vec<(i64, i64)>,
    pub reason: String,
    pub note: String,
}

impl ReturnForm {
    pub fn check(&self, lines: &[ReturnableLine]) -> Result<ReturnPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut chosen = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            match units_of(&self.quantities, i, line.returnable, &line.title) {
                Err(error) => errors.push(error),
                Ok(0) => {}
                Ok(units) => chosen.push((line.position, units)),
            }
        }
        if errors.is_empty() && chosen.is_empty() {
            errors.push(FieldError::new(
                "quantities",
                "Choose at least one item to return.",
            ));
        }
        let reason = self.reason.trim();
        if !RETURN_REASONS.iter().any(|(code, _)| *code == reason) {
            errors.push(FieldError::new(
                "reason",
                "Choose why you are returning it.",
            ));
        }
        let note = self.note.trim().to_owned();
        if note.chars().count() > 1000 {
            errors.push(FieldError::new("note", "Keep it to 1,000 characters."));
        } else if reason == "other" && note.is_empty() {
            errors.push(FieldError::new("note", "Tell us what is wrong."));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ReturnPlan {
            lines: chosen,
            reason: reason.to_owned(),
            note,
        })
    }
}

/// One step of a return: the status it reached, its note and when; `by` is the admin who
/// took it, given to the order desk only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnStep {
    pub status: ReturnStatus,
    pub note: String,
    pub by: String,
    pub at: i64,
}

/// A return as the shopper and the order desk see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnView {
    pub id: i64,
    pub status: ReturnStatus,
    /// What the shopper chose, as they read it.
    pub reason: String,
    pub note: String,
    /// (title, units) of each line sent back.
    pub lines: Vec<(String, i64)>,
    /// Oldest first; the first is the request.
    pub steps: Vec<ReturnStep>,
}

/// The last moment (ms) a delivered order may be returned: `days` after its delivery.
pub fn return_deadline(delivered_at: i64, days: i64) -> i64 {
    delivered_at + days * 86_400_000
}

/// What "Place order" answers: the order, and for gateways the browser must talk to (Stripe),
/// the secret with which it confirms the payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placed {
    pub number: String,
    pub client_secret: Option<String>,
}

/// One line of a placed order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub sku: String,
    pub title: String,
    pub variant: String,
    pub unit_price: Money,
    pub quantity: i64,
    /// This line's share of the order's discount.
    pub discount: Money,
}

impl OrderLine {
    pub fn total(&self) -> Money {
        Money::from_minor(self.unit_price.minor() * self.quantity).unwrap_or_default()
    }
}

/// A placed order as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    pub number: String,
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub totals: Totals,
    pub shipping_method: String,
    pub address: Vec<String>,
    pub created_at: i64,
    /// Paid through the offline test gateway: no card was charged.
    pub test_payment: bool,
    /// The promotion the order carries ("SPRING10 — Spring sale"), or empty.
    pub promotion: String,
    /// The invoice's number and when it was issued, once the order is paid.
    pub invoice: Option<(String, i64)>,
    /// What has been given back so far.
    pub refunded: Money,
    /// The parcels sent so far, oldest first.
    pub shipments: Vec<ShipmentView>,
    /// The returns asked for, oldest first.
    pub returns: Vec<ReturnView>,
    /// While the order may be returned: the lines with the units that may still go back, and
    /// the last day to ask. Empty and None otherwise.
    pub returnable: Vec<ReturnableLine>,
    pub return_until: Option<i64>,
}

/// A paid order's invoice, as printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    /// The seller's block: name, address, tax ID, email.
    pub seller: Vec<String>,
    pub order: OrderView,
    /// The refunds' credit notes: (number, amount, when).
    pub credit_notes: Vec<(String, Money, i64)>,
}

/// What "Buy again" did: units put in the cart, and why the others were not.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoughtAgain {
    pub added: i64,
    /// One message per line left out, e.g. "Desk lamp: Sorry, that item is out of stock."
    pub skipped: Vec<String>,
}

/// An order in the order history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub number: String,
    pub status: String,
    pub total: Money,
    pub items: i64,
    pub created_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refunds_and_shipments_say_what_was_asked_for() {
        let quantities = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(line, units)| (line.to_string(), units.to_string()))
                .collect()
        };
        let refund = RefundForm {
            quantities: quantities(&[("2", "1"), ("0", "2"), ("1", "")]),
            restock: Some("on".into()),
            reason: "Damaged".into(),
            ..RefundForm::default()
        };
        assert_eq!(
            refund.summary(),
            "line 1 × 2, line 3 × 1, back to stock (Damaged)"
        );
        let refund = RefundForm {
            amount: " 5.00 ".into(),
            ..RefundForm::default()
        };
        assert_eq!(refund.summary(), "amount 5.00");
        assert_eq!(ShipmentForm::default().summary(), "every unit left");
        let shipment = ShipmentForm {
            carrier: "dhl".into(),
            tracking: "JD0142".into(),
            quantities: quantities(&[("1", "3")]),
        };
        assert_eq!(shipment.summary(), "line 2 × 3 by dhl, tracking JD0142");
    }

    #[test]
    fn the_sold_list_names_exactly_the_sold_statuses() {
        let sold: Vec<String> = OrderStatus::ALL
            .into_iter()
            .filter(|s| s.is_sold())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(SOLD_STATUSES, format!("({})", sold.join(", ")));
    }

    fn money(minor: i64) -> Money {
        Money::from_minor(minor).unwrap()
    }

    #[test]
    fn tax_is_on_the_subtotal_rounded_half_up() {
        let none = Discount::default();
        let totals = Totals::compute(money(1_000), &none, money(499), 725);
        assert_eq!(totals.tax, money(73), "72.5 cents rounds up");
        assert_eq!(totals.total, money(1_572));
        assert_eq!(
            Totals::compute(money(1_001), &none, money(0), 725).tax,
            money(73)
        );
        assert_eq!(
            Totals::compute(money(999), &none, money(0), 0).tax,
            money(0)
        );
        assert_eq!(
            Totals::compute(money(10), &none, money(0), 2_000).tax,
            money(2)
        );
    }

    /// README's worked example of a discount.
    #[test]
    fn a_discount_comes_off_the_lines_before_tax() {
        use crate::promotions::model::Benefit;
        let rates = ShippingRates {
            standard: money(499),
            express: money(1_499),
            free_over: money(5_000),
        };
        let offer = Offer {
            code: Some("SAVE10".into()),
            name: "Ten dollars off".into(),
            benefit: Benefit::AmountOff(money(1_000)),
            eligible: vec![true, true, true],
        };
        let lines = [1_999, 2_499, 1_000];
        let (totals, discount) = price(&lines, Some(&offer), &rates, ShippingMethod::Standard, 725);
        assert_eq!(discount.lines, [364, 454, 182], "shares of 10.00 by price");
        assert_eq!(totals.subtotal, money(5_498));
        assert_eq!(
            totals.shipping,
            money(0),
            "free over 50.00 before the discount"
        );
        assert_eq!(totals.discount, money(1_000));
        assert_eq!(totals.tax, money(326), "7.25% of 44.98 is 3.261");
        assert_eq!(totals.total, money(4_824));
        let free = Offer {
            benefit: Benefit::FreeShipping,
            ..offer
        };
        let (totals, _) = price(&[1_000], Some(&free), &rates, ShippingMethod::Express, 725);
        assert_eq!(
            (totals.discount, totals.tax, totals.total),
            (money(1_499), money(73), money(1_073))
        );
        let (plain, discount) = price(&[1_000], None, &rates, ShippingMethod::Express, 0);
        assert_eq!((plain.discount, discount.lines), (money(0), vec![0]));
    }

    #[test]
    fn standard_shipping_is_free_over_the_threshold() {
        let rates = ShippingRates {
            standard: money(499),
            express: money(1_499),
            free_over: money(5_000),
        };
        assert_eq!(
            rates.price(ShippingMethod::Standard, money(4_999)),
            money(499)
        );
        assert_eq!(
            rates.price(ShippingMethod::Standard, money(5_000)),
            money(0)
        );
        assert_eq!(
            rates.price(ShippingMethod::Express, money(9_000)),
            money(1_499)
        );
    }

    #[test]
    fn cards_are_luhn_checked_and_dated() {
        let card = |number: &str, expiry: &str, cvc: &str| CardForm {
            number: number.into(),
            expiry: expiry.into(),
            cvc: cvc.into(),
        };
        let today = (2026, 11);
        assert_eq!(
            card("4242 4242 4242 4242", "12/30", "123").check(today),
            Ok(Card {
                number: "4242424242424242".into()
            })
        );
        assert!(
            card("4000-0000-0000-0002", "11/26", "1234")
                .check(today)
                .is_ok()
        );
        let fields = |form: CardForm| -> Vec<String> {
            form.check(today)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(card("4242 4242 4242 4241", "13/30", "12")),
            ["card[number]", "card[expiry]", "card[cvc]"]
        );
        assert_eq!(
            fields(card("abcd", "10/26", "123")),
            ["card[number]", "card[expiry]"]
        );
        assert!(!luhn(""));
    }

    #[test]
    fn addresses_need_their_fields_and_a_known_country() {
        let form = AddressForm {
            full_name: " Ada Lovelace ".into(),
            line1: "12 St James's Square".into(),
            city: "London".into(),
            postal_code: "SW1Y 4JH".into(),
            country: "gb".into(),
            ..AddressForm::default()
        };
        let checked = form.check().unwrap();
        assert_eq!(checked.full_name, "Ada Lovelace");
        assert_eq!(checked.country, "GB");
        let bad = AddressForm {
            country: "XX".into(),
            phone: "call me".into(),
            ..AddressForm::default()
        };
        let fields: Vec<String> = bad
            .check()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "line1",
                "city",
                "postal_code",
                "country",
                "phone"
            ]
        );
    }

    #[test]
    fn orders_move_forward_and_only_unshipped_ones_are_cancelled() {
        use OrderStatus::*;
        for status in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(status.as_str()), Some(status));
            assert!(
                !status.next().contains(&Paid),
                "payments come from the gateway"
            );
        }
        assert_eq!(Paid.next(), [Shipped, Cancelled]);
        assert_eq!(Shipped.next(), [Delivered]);
        assert!(Delivered.next().is_empty() && Cancelled.next().is_empty());
        assert!(Expired.next().is_empty() && !Expired.is_sold());
        assert!(Paid.restocks(Cancelled) && PendingPayment.restocks(Cancelled));
        assert!(!PaymentFailed.restocks(Cancelled) && !Paid.restocks(Shipped));
        assert_eq!(status_label("paid"), "Paid");
        assert_eq!(status_label("lost"), "Unknown");
    }

    fn line(quantity: i64, refunded: i64, paid: i64) -> PaidLine {
        PaidLine {
            position: 0,
            title: "Lamp".into(),
            quantity,
            refunded,
            paid: money(paid),
        }
    }

    #[test]
    fn refunding_every_unit_in_any_steps_gives_back_exactly_what_was_paid() {
        let paid = line(3, 0, 1_000);
        assert_eq!(paid.refund_of(1), money(333));
        assert_eq!(line(3, 1, 1_000).refund_of(1), money(333));
        assert_eq!(
            line(3, 2, 1_000).refund_of(1),
            money(334),
            "the last unit takes the rest"
        );
        assert_eq!(line(3, 1, 1_000).refund_of(2), money(667));
        assert_eq!(paid.refund_of(3), money(1_000));
        assert_eq!(tax_shares(money(326), &[1_635, 2_045, 818]), [119, 148, 59]);
    }

    #[test]
    fn a_refund_is_either_items_or_an_amount_within_what_is_left() {
        let lines = [
            line(2, 0, 2_000),
            PaidLine {
                position: 1,
                ..line(1, 1, 500)
            },
        ];
        let form = |quantities: &[&str], amount: &str| RefundForm {
            quantities: quantities
                .iter()
                .enumerate()
                .map(|(i, q)| (i.to_string(), (*q).to_owned()))
                .collect(),
            amount: amount.into(),
            restock: Some("on".into()),
            reason: "Broken".into(),
        };
        let plan = form(&["1", ""], "").plan(&lines, money(2_000)).unwrap();
        assert_eq!(
            (plan.amount, plan.lines.clone(), plan.restock),
            (money(1_000), vec![(0, 1, money(1_000))], true)
        );
        let plan = form(&[], "4.50").plan(&lines, money(2_000)).unwrap();
        assert_eq!(
            (plan.amount, plan.restock),
            (money(450), false),
            "an amount restocks nothing"
        );
        let fields = |form: RefundForm, left: i64| -> Vec<String> {
            form.plan(&lines, money(left))
                .unwrap_err()
                .into_iter()
                .map(|e| e.message)
                .collect()
        };
        assert_eq!(
            fields(form(&["3", "1"], ""), 2_000),
            ["Enter 0 to 2 for “Lamp”.", "Enter 0 to 0 for “Lamp”."]
        );
        assert_eq!(
            fields(form(&["1"], "1.00"), 2_000),
            ["Refund either items or an amount, not both."]
        );
        assert_eq!(
            fields(form(&[], ""), 2_000),
            ["Choose items to refund, or enter an amount."]
        );
        assert_eq!(
            fields(form(&[], "20.01"), 2_000),
            ["Refund more than $0.00 and at most the $20.00 left."]
        );
        assert_eq!(
            fields(form(&[], "x"), 2_000),
            ["Enter an amount such as 5.00."]
        );
        let everything = RefundPlan::everything(&lines, money(2_499), "Cancelled");
        assert_eq!(everything.amount, money(2_499));
        assert_eq!(everything.lines, [(0, 2, money(2_000))]);
    }

    #[test]
    fn a_shipment_takes_what_is_left_to_ship_and_a_known_carrier() {
        let lines = [
            ShippableLine {
                position: 0,
                title: "Lamp".into(),
                quantity: 2,
                shipped: 1,
            },
            ShippableLine {
                position: 1,
                title: "Desk".into(),
                quantity: 1,
                shipped: 0,
            },
        ];
        let form = |carrier: &str, tracking: &str, quantities: &[(&str, &str)]| ShipmentForm {
            carrier: carrier.into(),
            tracking: tracking.into(),
            quantities: quantities
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let all = form("UPS", " 1Z999AA10123456784 ", &[])
            .check(&lines)
            .unwrap();
        assert_eq!(
            (all.carrier.as_str(), all.tracking.as_str()),
            ("ups", "1Z999AA10123456784")
        );
        assert_eq!(
            all.lines,
            [(0, 1), (1, 1)],
            "everything left when no quantities are sent"
        );
        let some = form("", "", &[("0", "0"), ("1", "1")])
            .check(&lines)
            .unwrap();
        assert_eq!(some.lines, [(1, 1)]);
        let fields = |form: ShipmentForm| -> Vec<String> {
            form.check(&lines)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        assert_eq!(
            fields(form("pigeon", "12", &[("0", "2")])),
            ["carrier", "quantities[0]"]
        );
        assert_eq!(fields(form("", "12", &[])), ["carrier"]);
        assert_eq!(fields(form("dhl", "no spaces", &[])), ["tracking"]);
        assert_eq!(fields(form("", "", &[("0", "0")])), ["quantities"]);
        assert_eq!(
            tracking_url("usps", "9400"),
            Some("https://tools.usps.com/go/TrackConfirmAction?tLabels=9400".into())
        );
        assert_eq!(tracking_url("usps", ""), None);
        assert_eq!(carrier_name("fedex"), "FedEx");
    }

    #[test]
    fn a_return_asks_for_units_still_returnable_with_a_reason() {
        let lines = [
            ReturnableLine {
                position: 0,
                title: "Lamp".into(),
                quantity: 2,
                returnable: 1,
            },
            ReturnableLine {
                position: 1,
                title: "Mug".into(),
                quantity: 3,
                returnable: 3,
            },
        ];
        let form = |quantities: &[(&str, &str)], reason: &str, note: &str| ReturnForm {
            quantities: quantities
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            reason: reason.into(),
            note: note.into(),
        };
        let plan = form(&[("0", "1"), ("1", "")], "damaged", "  Cracked  ")
            .check(&lines)
            .unwrap();
        assert_eq!(plan.lines, [(0, 1)]);
        assert_eq!(
            (plan.reason.as_str(), plan.note.as_str()),
            ("damaged", "Cracked")
        );
        let fields = |form: ReturnForm| -> Vec<String> {
            form.check(&lines)
                .unwrap_err()
                .into_iter()
                .map(|e| e.field)
                .collect()
        };
        // One unit of the lamp is refunded or on its way back already.
        assert_eq!(
            fields(form(&[("0", "2")], "damaged", "")),
            ["quantities[0]"]
        );
        assert_eq!(
            fields(form(&[("1", "-1")], "unwanted", "")),
            ["quantities[1]"]
        );
        assert_eq!(fields(form(&[], "damaged", "")), ["quantities"]);
        assert_eq!(fields(form(&[("1", "1")], "bored", "")), ["reason"]);
        assert_eq!(fields(form(&[("1", "1")], "other", " ")), ["note"]);
        assert_eq!(
            fields(form(&[("1", "1")], "unwanted", &"x".repeat(1001))),
            ["note"]
        );
        assert_eq!(
            return_reason_label("wrong_item"),
            "It is not what I ordered"
        );
    }

    #[test]
    fn a_return_moves_from_request_to_refund_or_stops_at_rejection() {
        use ReturnStatus::*;
        assert_eq!(Requested.next(), [Approved, Rejected]);
        assert_eq!(Approved.next(), [Received]);
        assert_eq!(Received.next(), [Refunded]);
        assert!(Rejected.next().is_empty() && Refunded.next().is_empty());
        assert!(Received.holds_units() && !Rejected.holds_units() && !Refunded.holds_units());
        assert_eq!(
            ReturnStatus::holding_sql(),
            "('requested', 'approved', 'received')"
        );
        for status in ReturnStatus::ALL {
            assert_eq!(ReturnStatus::parse(status.as_str()), Some(status));
        }
        let delivered = 1_000;
        assert_eq!(return_deadline(delivered, 30), 1_000 + 30 * 86_400_000);
    }

    #[test]
    fn order_numbers_are_readable_and_recognised() {
        let number = order_number(0x12_3456_789A);
        assert!(is_order_number(&number), "{number}");
        assert_eq!(number.len(), 12);
        assert_ne!(order_number(1), order_number(2));
        for bad in [
            "EM-1234-567",
            "XX-1234-5678",
            "EM-1234-567I",
            "em-1234-5678",
            "1",
        ] {
            assert!(!is_order_number(bad), "{bad}");
        }
    }
}
