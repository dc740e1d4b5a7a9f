// Stripe's Payment Element on the checkout page. Once "Place order" has created the order and
// its PaymentIntent, the page calls emporiumStripe.mount(); "Pay now" then confirms the payment
// with Stripe, which sends the shopper back to the order page (the shop settles it there, or
// when Stripe's webhook arrives, whichever comes first).
window.emporiumStripe = {
  mount(publishableKey, clientSecret, returnPath) {
    const stripe = Stripe(publishableKey);
    const elements = stripe.elements({ clientSecret });
    elements.create("payment").mount("#payment-element");
    const button = document.getElementById("pay-now");
    const error = document.getElementById("payment-error");
    button.hidden = false;
    button.onclick = async () => {
      button.disabled = true;
      const result = await stripe.confirmPayment({
        elements,
        confirmParams: { return_url: new URL(returnPath, window.location.origin).href },
      });
      // Reached only when the payment could not be confirmed; success leaves the page.
      error.textContent = result.error ? result.error.message : "";
      button.disabled = false;
    };
  },
};
