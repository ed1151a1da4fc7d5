package jiraemu

// Hand-written building blocks of the SHOP demo project: ShopFlow, a
// commerce platform that small and mid-size merchants use to run their
// online stores. BuildDemo turns them into fixtures/shop.json.
//
// Story lines read "role | means | benefit | criterion ;; criterion …".
// A criterion starting with "Given" is written Given/When/Then; others form
// a checklist. An empty benefit or no criteria is deliberate.

// demoEra places an epic in time: delivered, being built, or planned.
type demoEra int

const (
	eraDone demoEra = iota
	eraCurrent
	eraNext
	eraLater
)

type demoEpic struct {
	title     string
	goal      string
	component string
	labels    []string
	era       demoEra
	stories   string
}

var demoEpics = []demoEpic{
	{title: "One-page checkout", component: "Checkout", labels: []string{"revenue"}, era: eraDone,
		goal: "Cut checkout abandonment by moving shipping, payment and review onto one page.",
		stories: `
shopper | see shipping, payment and order review on a single page | I can finish my purchase without losing my place | Given I have items in my cart, when I open checkout, then shipping, payment and review sections are shown on one page ;; Given I change the shipping method, when the page updates, then the order total reflects the new shipping cost within 1 second ;; Given a required field is empty, when I press Place order, then the page scrolls to the first error
shopper | have my shipping address autocompleted as I type | I make fewer typing mistakes on my phone | Given I type at least 3 characters of my street, when suggestions appear, then I can pick one and all address fields are filled ;; Given the address service is down, when I type, then I can still enter the address by hand
guest shopper | check out without creating an account | I can buy quickly the first time I visit | Given I am not signed in, when I choose Continue as guest, then I only need an email address to place the order ;; Given I placed a guest order, when I view the confirmation page, then I am offered to create an account with one click
shopper | see the delivery date estimate before I pay | I know whether the order arrives in time | Given I entered a postcode, when shipping options load, then each option shows an estimated delivery date ;; Given the carrier gives no estimate, when options load, then the option shows a business-day range instead
shopper | apply a discount code on the checkout page | I do not have to go back to the cart | Given a valid code, when I apply it, then the discount line and new total appear without reloading ;; Given an expired code, when I apply it, then I see why it was refused
shopper | edit item quantities from the order review | I can fix my order without leaving checkout | Given I am on the review step, when I change a quantity, then the totals and stock check update ;; Given I set the quantity to zero, when I confirm, then the item is removed
store owner | choose which checkout fields are optional | I collect only the data my store needs | Company name can be marked optional or hidden ;; Phone number can be marked optional or required ;; Changes apply to new checkouts within 5 minutes
shopper | see a clear error when my card is declined | I know what to do next | Given the bank declines the payment, when the result comes back, then I see the decline reason in plain words ;; Given a decline, when I retry, then the form keeps everything I typed except the card number
shopper | get my order confirmation email within a minute | I know the order went through | Given the payment succeeded, when the order is created, then the confirmation email is sent within 60 seconds ;; Given the email bounced, when I open my account, then the order is still listed
marketing manager | see the checkout funnel step by step | I can find where shoppers give up | Dashboard shows sessions reaching each checkout section ;; Drop-off percentage per section is shown for the last 7, 30 and 90 days ;; Data can be filtered by device type
shopper | pay with Apple Pay on Safari | I can check out with Face ID instead of typing my card | Given I use Safari with Apple Pay set up, when I reach payment, then the Apple Pay button is shown first ;; Given I pay with Apple Pay, when the payment succeeds, then my shipping address from Apple Pay is used
store owner | keep the old checkout available for two weeks after the switch | I can fall back if conversion drops | A store setting switches between old and new checkout ;; The setting disappears automatically after the migration window
`},
	{title: "Saved payment methods", component: "Payments", labels: []string{"revenue", "customer"}, era: eraDone,
		goal: "Let returning shoppers pay with a saved card or wallet in one step.",
		stories: `
returning customer | save my card during checkout | I do not type it again next time | Given I tick Save this card, when the payment succeeds, then the card is stored with the payment provider and shown in my account ;; Given I do not tick the box, when the payment succeeds, then no card is stored
returning customer | pick a saved card at checkout | I can pay in one step | Given I have saved cards, when I reach payment, then my default card is preselected ;; Given I pick another card, when I place the order, then that card is charged
returning customer | remove a saved card from my account | I stay in control of my payment data | Given I open Payment methods, when I remove a card, then it disappears and the provider token is deleted ;; Given the card is used by an active subscription, when I try to remove it, then I am asked to choose a replacement first
returning customer | be warned before a saved card expires | my next order does not fail | Given a card expires within 30 days, when I sign in, then I see a banner asking me to update it ;; An email reminder is sent once, 14 days before expiry
finance admin | see which orders were paid with saved cards | I can report on repeat purchase behaviour | Order export has a column for payment method type ;; Saved-card orders can be filtered in the orders list
returning customer | confirm a saved-card payment with 3-D Secure when my bank asks | my payment is not rejected | Given the bank requests authentication, when I pay with a saved card, then the 3-D Secure challenge opens in a modal ;; Given I fail the challenge, when I return, then I can choose another card
store owner | turn saved cards on or off for my store | I match my risk policy | Setting is off by default for new stores ;; Turning it off hides the Save this card option at once ;; Existing saved cards keep working until removed
returning customer | set a default payment method | the right card is used for quick purchases | Given several saved cards, when I mark one as default, then it is preselected at checkout ;; Only one card can be the default
support agent | see the last four digits of the card used on an order | I can help a customer recognise a charge | Order detail shows brand and last four digits ;; Full card numbers are never shown or stored
returning customer | save PayPal as a payment method | I can use my PayPal balance without logging in each time | Given I link PayPal once, when I check out later, then PayPal is offered as a saved method ;; Given PayPal revokes the agreement, when I check out, then the method is removed with a message
`},
	{title: "Wishlist and save for later", component: "Storefront", labels: []string{"customer"}, era: eraDone,
		goal: "Give shoppers a way to keep products they are not ready to buy.",
		stories: `
shopper | save a product to my wishlist from the product page | I can come back and buy it later | Given I am signed in, when I tap the heart icon, then the product is added to my wishlist ;; Given I am not signed in, when I tap the heart icon, then I am asked to sign in and the product is saved afterwards
shopper | move an item from my cart to Save for later | my cart only holds what I buy today | Given an item in my cart, when I choose Save for later, then it moves below the cart with its price ;; Given a saved item, when I choose Move to cart, then it returns to the cart
shopper | be told when a wishlist item goes on sale | I buy at the best price | Given a wishlist item's price drops by at least 10%, when the price changes, then I get one email per day at most ;; Email links straight to the product
shopper | share my wishlist with a link | friends know what to give me | Given I make my wishlist shareable, when I copy the link, then anyone with the link sees the items without signing in ;; Given I make it private again, when someone opens the old link, then they see a not-found page
shopper | see when a wishlist item is back in stock | I do not miss limited products | Given an out-of-stock item on my wishlist, when stock returns, then I get a notification ;; Notification is sent once per restock
marketing manager | see the most wishlisted products | I can plan promotions around real demand | Report lists top 50 wishlisted products for a date range ;; Report can be exported as CSV
shopper | keep my wishlist when I switch from phone to laptop | I find my items everywhere | Given I am signed in on two devices, when I add an item on one, then it appears on the other after refresh
shopper | add a note to a wishlist item | I remember which size I wanted | Notes up to 200 characters ;; Notes are visible only to me
store owner | hide the wishlist feature | my store layout stays simple | Theme setting removes heart icons and the wishlist page
shopper | sort my wishlist by price or date added | I find items quickly in a long list | Sorting by price ascending and descending ;; Sorting by date added, newest first by default
`},
	{title: "Product search relevance", component: "Search", labels: []string{"revenue", "customer"}, era: eraCurrent,
		goal: "Shoppers find the product they mean on the first results page.",
		stories: `
shopper | get results for misspelled product names | I find products even when I type quickly | Given I search for "snaekers", when results load, then sneakers are shown with a "Showing results for" note ;; Given the exact term has results, when I search, then no correction is applied
shopper | filter search results by size, colour and price | I only see products that fit me | Given results, when I pick a size filter, then only products with that size in stock remain ;; Filters show a count of matching products ;; Selected filters are kept in the URL
shopper | see search suggestions as I type | I reach the right product with fewer keystrokes | Given I type 2 characters, when suggestions appear, then they show products, categories and popular searches ;; Suggestions appear within 200 ms at the 95th percentile
merchant | define synonyms for search terms | shoppers who say "hoodie" find my "sweatshirts" | Merchant can add synonym groups in the admin ;; Synonyms apply to search within 10 minutes ;; A synonym group can be disabled without deleting it
merchant | see searches that returned no results | I can add products or synonyms for them | Report lists zero-result searches with counts for the last 30 days ;; Each entry links to the synonym editor
shopper | sort results by relevance, price or newest | I can browse the way I prefer | Relevance is the default sort ;; Sort choice is kept when paging
merchant | pin a product to the top for a search term | campaign products are easy to find | Given a pinned product for "summer", when a shopper searches "summer", then that product is first ;; Pins can have an end date
shopper | search within a category | I get focused results on large stores | Given I am in the Shoes category, when I search, then I can choose to search only in Shoes
shopper | find products by SKU or barcode | I can reorder exactly the item I had | Given I enter a full SKU, when I search, then the matching product opens directly
merchant | boost products with good reviews in search | shoppers see products they are likely to buy | Boost weight can be set from 0 to 5 ;; Products with fewer than 3 reviews are not boosted
shopper | see results in my language | I understand the product names | Given a store with English and German catalogs, when I search in German, then German product titles are matched
developer integrating the API | query the search API with the same ranking as the storefront | my headless store behaves the same | Search API returns the same order as the storefront for the same query ;; API documents the ranking parameters
`},
	{title: "Order management for merchants", component: "Orders", labels: []string{"customer"}, era: eraCurrent,
		goal: "Merchants process a day of orders in minutes, not hours.",
		stories: `
merchant | filter orders by payment and fulfilment status | I see what needs my attention first | Given the orders list, when I filter by Paid and Unfulfilled, then only those orders remain ;; Filter combinations can be saved as views
merchant | print packing slips for many orders at once | I prepare shipments faster | Given I select up to 100 orders, when I choose Print packing slips, then one PDF with all slips is generated within 10 seconds
warehouse manager | mark orders as shipped with tracking numbers in bulk | customers get tracking emails the same day | CSV upload with order number, carrier and tracking number ;; Invalid rows are listed without blocking valid ones ;; Each shipped order triggers the shipping email
merchant | add an internal note to an order | my team knows the context of special requests | Notes are visible to staff only ;; Notes show author and time
merchant | edit an order before it ships | I can fix a wrong size without cancelling | Given an unfulfilled order, when I change an item variant, then the price difference is charged or refunded ;; Edits are logged in the order timeline
support agent | resend the order confirmation email | customers who lost it get it again | Resend is available from the order page ;; The timeline records who resent it
merchant | see a timeline of everything that happened to an order | I can answer customer questions with facts | Timeline lists payment, fulfilment, emails, edits and notes in order ;; Each entry shows the actor
merchant | split an order into two shipments | in-stock items leave today | Given an order with an out-of-stock item, when I split it, then two fulfilments are created with their own tracking
store owner | give staff accounts permission to view orders but not refund | I limit who can move money | Permission "Refund orders" can be removed from a role ;; Staff without it see the refund button disabled with an explanation
merchant | export orders for my accountant | month-end closing is quick | Export includes taxes per line and per order ;; Export can be scheduled monthly by email
merchant | see flagged high-risk orders | I avoid shipping to fraudsters | Orders with a risk score above the threshold show a warning badge ;; Risk reasons are listed on the order page
merchant | archive old orders | my list only shows open work | Orders older than 90 days and fulfilled can be archived ;; Archived orders remain searchable
`},
	{title: "Subscriptions and recurring billing", component: "Subscriptions", labels: []string{"revenue", "billing"}, era: eraCurrent,
		goal: "Merchants sell products on subscription with automatic renewals.",
		stories: `
shopper | subscribe to a product with a delivery every 1, 2 or 4 weeks | I never run out of things I use regularly | Given a subscription-enabled product, when I pick an interval, then the price per delivery and the discount are shown ;; Given I subscribe, when the order completes, then the next delivery date is shown in my account
subscriber | skip the next delivery | I do not get products while I am on holiday | Given an active subscription, when I skip the next delivery, then the following date moves by one interval ;; Skipping is possible until 48 hours before shipping
subscriber | pause my subscription for up to three months | I keep my discount without receiving orders | Pause durations of 1, 2 or 3 months ;; A reminder email is sent 7 days before it resumes
subscriber | cancel my subscription online | I do not need to call support | Given I choose Cancel, when I confirm, then no further charges happen ;; Given I cancel, when I confirm, then I may optionally give a reason
merchant | see monthly recurring revenue and churn | I know if my subscription business grows | Dashboard shows MRR, new MRR and churned MRR per month ;; Churn rate is shown for the last 12 months
finance admin | retry failed renewal payments automatically | we do not lose subscribers over a temporary card problem | Given a renewal fails, when the retry schedule runs, then it retries after 1, 3 and 7 days ;; Given all retries fail, when the last one fails, then the subscription is paused and the customer is emailed
subscriber | change the products in my next box | I can try something new | Changes allowed until 48 hours before shipping ;; Price change is shown before I confirm
merchant | offer a discount on the first subscription order | more shoppers try subscribing | Discount can be a percentage or a fixed amount ;; Discount applies to the first order only
subscriber | update the payment card used for renewals | my renewals keep working | Given I update the card, when the next renewal runs, then the new card is charged
merchant | send a reminder email three days before each renewal | subscribers are not surprised by charges | Reminder lists products, price and date ;; Merchant can edit the email template
developer integrating the API | receive a webhook when a renewal fails | our CRM can follow up with the customer | Webhook includes subscription id, customer id and failure reason ;; Webhook is retried for 24 hours
`},
	{title: "Returns and refunds self-service", component: "Orders", labels: []string{"customer", "churn"}, era: eraNext,
		goal: "Shoppers start returns themselves; merchants approve them in one click.",
		stories: `
shopper | start a return from my order history | I do not have to email the store | Given an order delivered within the return window, when I choose Return items, then I can pick items and a reason ;; Given the window has passed, when I open the order, then I see the date it closed
shopper | print a prepaid return label | I can drop the parcel at any post office | Given the merchant offers prepaid returns, when my return is approved, then a PDF label is emailed to me
merchant | approve or reject return requests in one list | I handle returns in minutes | Given pending requests, when I approve one, then the shopper is emailed the next steps ;; Rejections require a reason that is sent to the shopper
merchant | refund automatically when the parcel is scanned at the warehouse | customers get their money back sooner | Given the return is received, when the warehouse scans it, then the refund is issued within one hour
shopper | choose store credit instead of a refund | I can pick something else right away | Store credit is issued immediately on approval ;; Store credit can be 10% more than the refund if the merchant enables it
merchant | set a return window per product category | final-sale items cannot be returned | Window in days per category ;; Categories can be marked non-returnable
shopper | exchange an item for another size | I get the right size without a new order | Given the other size is in stock, when I request an exchange, then it is reserved for 7 days
merchant | see return reasons across products | I find quality problems early | Report of return reasons per product and per month ;; Products with a return rate above 15% are highlighted
support agent | create a return on behalf of a customer | customers who call us get the same service | Agent can create a return from the order page ;; The return timeline shows the agent's name
`},
	{title: "Mobile app checkout", component: "Mobile App", labels: []string{"mobile", "revenue"}, era: eraLater,
		goal: "Bring the one-page checkout to the iOS and Android shopping apps.",
		stories: `
mobile shopper | pay with Google Pay in the Android app | I can check out with my fingerprint | Given Google Pay is available, when I reach payment, then Google Pay is offered first ;; Given the payment succeeds, when I return to the app, then the confirmation screen is shown
mobile shopper | pay with Apple Pay in the iOS app | I can check out with Face ID | Given Apple Pay is set up, when I tap Buy with Apple Pay, then the payment sheet opens with my shipping address
mobile shopper | keep my cart when the app is closed | I can finish shopping later | Given items in my cart, when I reopen the app, then the cart is as I left it ;; Cart syncs with the website when I am signed in
mobile shopper | get a push notification when my order ships | I know when to expect it | Given notifications are allowed, when the order ships, then a push with the tracking link arrives within 5 minutes
mobile shopper | scan a product barcode in a physical store | I can read reviews before buying | Given camera permission, when I scan a barcode, then the matching product opens ;; Unknown barcodes show a search screen
mobile shopper | sign in with Face ID | I do not type my password on the phone | Given biometric login is enabled, when I open the app, then Face ID signs me in
store owner | see app orders separately in reports | I know what the app contributes | Sales channel "App" is shown in order reports
mobile shopper | use the app offline to browse recently viewed products | I can shop on the train | Last 50 viewed products are cached with images ;; Prices show when they were last updated
`},
	{title: "Inventory sync with warehouses", component: "Integrations", labels: []string{"enterprise"}, era: eraCurrent,
		goal: "Stock levels match the warehouse within minutes, so we stop overselling.",
		stories: `
warehouse manager | have stock levels updated from our warehouse system every 5 minutes | the store never sells items we do not have | Given a stock change in the warehouse system, when the sync runs, then the store shows the new level within 5 minutes ;; Given the warehouse system is unreachable, when the sync fails three times, then the merchant is alerted
merchant | connect several warehouses to one store | stock from all locations can be sold | Each warehouse has a priority for fulfilment ;; Available stock is the sum over connected warehouses
merchant | reserve stock when an order is paid | two shoppers cannot buy the last item | Given the last item is paid, when another shopper checks out, then the item shows as out of stock ;; Reservations are released when an order is cancelled
warehouse manager | see a log of every sync with errors | I can fix bad data quickly | Log lists time, warehouse, items updated and errors ;; Errors link to the affected product
merchant | set a safety stock per product | we keep a buffer for store pickups | Safety stock is subtracted from sellable stock ;; Default safety stock can be set per category
developer integrating the API | push stock changes through an API | our own ERP can update the store | API accepts up to 1000 stock updates per request ;; API answers within 2 seconds for 1000 updates
merchant | get alerted when a product is about to sell out | I can reorder in time | Alert when stock falls below a threshold ;; Alerts are batched into one daily email
warehouse manager | map warehouse SKUs to store variants | products with different codes sync correctly | Mapping can be uploaded as CSV ;; Unmapped SKUs are listed in the sync log
`},
	{title: "Merchant analytics dashboard", component: "Analytics", labels: []string{"enterprise", "sales"}, era: eraLater,
		goal: "Merchants understand sales, traffic and conversion without a BI tool.",
		stories: `
store owner | see today's sales compared with the same day last week | I know at a glance if something is wrong | Dashboard shows revenue, orders and average order value for today and the same weekday last week ;; Numbers refresh every 5 minutes
store owner | see conversion rate by traffic source | I know which channels bring buyers | Sources include search, social, email and direct ;; Conversion is orders divided by sessions per source
marketing manager | compare sales between two date ranges | I can measure the effect of a campaign | Any two ranges up to one year each ;; Differences are shown as absolute and percentage values
store owner | see my best-selling products this month | I can plan stock and promotions | Top 20 products by revenue and by units ;; Each links to the product page
finance admin | download analytics data as CSV | I can combine it with our accounting | Every chart has a CSV download ;; CSV uses the store's currency and time zone
store owner | get a weekly summary email | I stay informed without logging in | Email on Monday mornings with last week's key numbers ;; Can be switched off per staff account
marketing manager | see cohort retention of new customers | I know how many come back to buy again | Cohorts by month of first order ;; Retention shown for 12 months
store owner | set a monthly revenue goal | my team can see progress towards it | Goal line on the revenue chart ;; Progress shown as a percentage on the dashboard
`},
	{title: "Accessibility (WCAG 2.2 AA) for storefront", component: "Storefront", labels: []string{"accessibility"}, era: eraCurrent,
		goal: "Every storefront theme passes WCAG 2.2 AA; no shopper is locked out.",
		stories: `
shopper using a screen reader | hear the product name, price and stock status on product pages | I can shop without sighted help | Given a screen reader, when the product page loads, then name, price and availability are announced in that order ;; All product images have alternative text
shopper who uses the keyboard only | reach every checkout control with the Tab key | I can complete a purchase without a mouse | Focus order follows the visual order ;; Focus indicator has a contrast ratio of at least 3:1
shopper with low vision | zoom the storefront to 200% without losing content | I can read prices and buttons | No horizontal scrolling at 320 CSS pixels width ;; Text does not overlap at 200% zoom
shopper using a screen reader | be told when an item is added to my cart | I know the action worked | Given I add an item, when the cart updates, then a live region announces the new cart count
store owner | get warned when product images have no alternative text | my store stays accessible | Product editor shows a warning for images without alt text ;; A report lists all products missing alt text
shopper with colour blindness | see sale prices marked with more than colour | I notice discounts | Sale prices show a text label next to the coloured price
shopper who uses the keyboard only | close pop-ups with the Escape key | I am never trapped in a dialog | Given a modal is open, when I press Escape, then it closes and focus returns to the trigger
shopper using voice control | target buttons by their visible label | I can operate the store by voice | Accessible names match visible labels on all buttons
`},
	{title: "Promotions and discount engine", component: "Checkout", labels: []string{"revenue", "sales"}, era: eraNext,
		goal: "Merchants run the promotions they need without developer help.",
		stories: `
marketing manager | create a "buy two, get one free" promotion | I can move seasonal stock | Given a promotion on a collection, when a shopper adds three qualifying items, then the cheapest is free ;; The discount is shown on the cart line
marketing manager | schedule a promotion to start and end automatically | I do not have to be online at midnight | Start and end date and time in the store's time zone ;; Ended promotions stop applying to new carts at once
shopper | see how much more I need to spend for free shipping | I can decide whether to add something | Given a free-shipping threshold, when my cart is below it, then the cart shows the remaining amount
marketing manager | generate 5000 unique single-use codes | I can send personal codes to my mailing list | Codes are exported as CSV ;; Each code works once
marketing manager | limit a promotion to first-time customers | I attract new buyers without discounting loyal ones | Given a returning customer, when they apply the code, then it is refused with an explanation
finance admin | see the total discount given per promotion | I know what each campaign cost | Report shows discount amount, orders and revenue per promotion
marketing manager | stack at most one code with automatic discounts | margins stay under control | Setting controls whether codes combine with automatic discounts ;; Shoppers see which discount was applied
shopper | get a birthday discount | I feel valued by the store | Given my birthday is in my profile, when the month starts, then I get a code valid for 30 days
`},
	{title: "B2B wholesale pricing", component: "Catalog", labels: []string{"enterprise", "revenue"}, era: eraLater,
		goal: "Merchants sell to business customers with their own prices and terms.",
		stories: `
wholesale buyer | see my negotiated prices when I am signed in | I order at the right price | Given my account belongs to a price list, when I browse, then prices from that list are shown ;; Retail prices are never shown to me
wholesale buyer | order by uploading a CSV of SKUs and quantities | large orders take minutes | Upload validates SKUs and stock before adding to cart ;; Errors are listed per row
merchant | set minimum order quantities per product for wholesale | small orders go through the retail store | Given a minimum of 12, when a buyer adds 6, then the cart explains the minimum
wholesale buyer | pay by invoice with 30-day terms | my finance team can follow our process | Given my account has payment terms, when I check out, then Invoice is offered ;; The invoice PDF is emailed on order
merchant | approve new wholesale accounts before they see prices | only real businesses get wholesale prices | Applications include company name and VAT number ;; Merchants approve or reject with a note
wholesale buyer | reorder a previous order in one click | restocking is quick | Given a past order, when I choose Reorder, then all available items are added to the cart
merchant | show prices without VAT to business customers | buyers compare prices the way they are used to | Price display setting per customer group
`},
	{title: "GDPR and privacy tooling", component: "Accounts", labels: []string{"gdpr", "security"}, era: eraNext,
		goal: "Merchants answer privacy requests within the legal deadline with no manual work.",
		stories: `
shopper | download all the data the store holds about me | I know what is stored | Given I request my data, when the export is ready, then I get a JSON and PDF file within 24 hours ;; Export includes orders, addresses and consents
shopper | delete my account and personal data | the store no longer keeps my information | Given I confirm deletion, when the request is processed, then personal data is erased and orders are anonymised ;; Orders needed for tax records keep only the legally required fields
merchant | see all open privacy requests with their deadlines | we never miss the 30-day limit | List shows request type, date and days left ;; Requests older than 25 days are highlighted
shopper | choose which cookies the store may use | my privacy preferences are respected | Consent banner with accept all, reject all and per-category choices ;; No marketing cookies load before consent
store owner | set how long customer data is kept after the last order | we follow our retention policy | Retention period in months ;; Data past the period is anonymised nightly
support agent | record a privacy request received by phone | every request is tracked in one place | Agent can create a request for a customer ;; The customer gets an email confirmation
`},
}

// demoWeak are stories with the problems BacklogAI is meant to find:
// vague words, no benefit, solutions instead of needs, several features
// joined by "and", several roles, brackets and examples, open questions.
var demoWeak = []string{
	"merchant | have a better dashboard |  | ",
	"user | the checkout should be fast and easy to use | customers are happy | ",
	"developer | add a new microservice with a REST endpoint and a MySQL table for coupons | coupons work | ",
	"merchant | export orders and import products and sync inventory with Shopify | I save time | ",
	"shopper or merchant | get notifications | we are informed | ",
	"store owner | have some improvements to the reports etc. | reporting is better | ",
	"shopper | see the product page load faster (like Amazon) | I buy more | ",
	"marketing manager | add a button colour picker in the theme settings table | the store looks nice | ",
	"admin | manage users |  | ",
	"shopper | have a user-friendly search | I find things | ",
	"merchant | use the new API endpoint for bulk price updates via JSON | prices are updated | ",
	"customer | pay with crypto? | TBD | ",
	"store owner | get a report of sales, refunds, taxes, payouts, fees and inventory every day, week and month | I know everything | ",
	"user | log in | I can log in | ",
	"shopper | have an intuitive and seamless checkout experience that is modern | conversion improves | ",
	"merchant | add a dropdown to the order page to change status | I can change the status | ",
	"support agent | see customer history and edit orders and issue refunds from one screen | support is efficient | ",
	"shopper | see recommendations (e.g. related products, bestsellers, etc.) | I discover more products | ",
	"merchant | have the database indexed properly for the orders table | the admin is not slow | ",
	"store owner | have the system handle lots of traffic on Black Friday | the store does not crash | ",
	"marketing manager | do A/B tests | marketing is data-driven | ",
	"shopper | filter by everything | I find what I want | ",
	"merchant | get paid faster!!! | cash flow | ",
	"shopper and store owner | chat with each other in real time using a WebSocket widget | communication improves | ",
	"finance admin | reconcile payouts somehow | the books are right | ",
}

// demoWeakTitles are summaries of weak stories written as bare titles, as
// real backlogs often have them.
var demoWeakTitles = []string{
	"Improve performance",
	"Dashboard v2",
	"Fix the checkout",
	"Better emails",
	"Refactor everything in the payments module",
	"Make it mobile friendly",
	"SEO stuff",
}

// demoBugs are bug reports: "component | summary | steps ;; expected ;; actual".
var demoBugs = `
Checkout | Apple Pay button missing on Safari 17.4 | Open checkout on Safari 17.4 on macOS, with Apple Pay set up ;; The Apple Pay button is shown above the card form ;; Only the card form is shown; the console logs "canMakePayments is not a function"
Checkout | Order total ignores shipping discount after changing the address | Apply code FREESHIP, then change the shipping address to another region ;; Shipping stays free ;; Shipping is charged again while the code still shows as applied
Checkout | Place order button stays disabled after a declined card | Pay with a test card that is declined, then enter a valid card ;; The button becomes active again ;; The button stays disabled until the page is reloaded
Checkout | Address autocomplete fills the wrong postcode for UK addresses | Type "10 Downing" and pick the suggestion ;; Postcode SW1A 2AA ;; Postcode field is left with the previous value
Checkout | Guest checkout asks for a password on Firefox | Check out as a guest on Firefox 125 ;; Only email is required ;; The browser shows a password field because of a hidden input
Payments | Saved card deleted but still charged by a subscription renewal | Delete a saved card used by a subscription, wait for the renewal ;; Renewal asks for a new card ;; Renewal charges the deleted card via the provider token
Payments | 3-D Secure modal cannot be closed on iPhone SE | Pay with a card that triggers 3-D Secure on an iPhone SE ;; The modal fits the screen and can be closed ;; The close button is off-screen
Payments | Refund webhook processed twice creates a negative balance | Issue a refund while the provider retries the webhook ;; One refund is recorded ;; Two refunds are recorded and the order balance is negative
Payments | PayPal payments in JPY rounded to two decimals | Pay 1500 JPY with PayPal ;; PayPal receives 1500 ;; PayPal receives 1500.00 and rejects the payment
Search | Search returns no results for words with accents | Search for "crème" on a French store ;; Products named Crème are found ;; No results; "creme" works
Search | Filter counts wrong after selecting two colours | Select Red and Blue in the colour filter ;; Counts reflect both colours ;; Counts reflect only the last selected colour
Search | Suggestions show deleted products | Delete a product and search for its name ;; The product is not suggested ;; The product appears in suggestions for up to a day
Search | Sorting by price ignores sale prices | Sort results by price ascending ;; Products sorted by the price shown ;; Products sorted by the original price
Storefront | Wishlist heart icon not announced by screen readers | Navigate to a product with VoiceOver ;; "Save to wishlist, button" is announced ;; Only "button" is announced
Storefront | Product images flicker when switching variants | Switch between colour variants on a product page ;; Images change smoothly ;; Images flash white for half a second
Storefront | Cookie banner covers the Place order button on small screens | Open checkout on a 360 px wide screen without consent ;; Banner leaves the button reachable ;; Banner covers the button
Storefront | Back-in-stock emails sent for hidden products | Restock a product that is hidden from the store ;; No email is sent ;; Emails are sent with a link to a 404 page
Orders | Packing slips PDF missing product options | Print packing slips for orders with engraved items ;; Engraving text is printed ;; Only the product name is printed
Orders | Bulk tracking upload accepts a file with wrong delimiter silently | Upload a semicolon-separated CSV ;; An error explains the delimiter ;; The upload reports success and nothing changes
Orders | Order timeline shows times in UTC instead of the store time zone | Open an order on a store set to Europe/Berlin ;; Times in Berlin time ;; Times in UTC without a label
Orders | Order export times out for more than 20000 orders | Export all orders of a large store ;; The export is emailed when ready ;; The request times out after 30 seconds
Orders | Editing an order does not update the tax total | Change an item to a variant with a different tax class ;; Tax total is recalculated ;; Tax total keeps the old value
Subscriptions | Skipped delivery still charged | Skip the next delivery of a subscription ;; No charge on the skipped date ;; The customer is charged and no order is created
Subscriptions | Renewal reminder email sent after the renewal | Let a renewal run for a subscription with a reminder ;; The reminder arrives 3 days before ;; The reminder arrives 2 hours after the charge
Subscriptions | MRR chart counts paused subscriptions | Pause a subscription and open the MRR chart ;; Paused subscriptions are excluded ;; MRR includes paused subscriptions
Integrations | Inventory sync stops after a warehouse API timeout | Make the warehouse API time out once ;; The next sync run retries ;; Sync stays stopped until the merchant reconnects
Integrations | Stock goes negative when two orders pay at the same second | Place two orders for the last item at the same time ;; One order is refused ;; Both succeed and stock is -1
Integrations | SKU mapping upload drops rows with leading zeros | Upload a mapping with SKU 000123 ;; SKU kept as 000123 ;; SKU stored as 123 and never matched
Notifications | Shipping emails sent in English to German customers | Ship an order of a customer whose language is German ;; German email ;; English email
Notifications | Order confirmation email delayed by up to an hour during sales | Place orders during a flash sale ;; Email within a minute ;; Emails queue for up to an hour
Notifications | Push notifications open the home screen instead of the order | Tap a shipping push notification ;; The order opens ;; The app's home screen opens
Merchant Admin | Staff without refund permission can refund through the bulk menu | Sign in as staff without the Refund permission and use bulk actions ;; Refund action is disabled ;; Refunds go through
Merchant Admin | Dashboard revenue differs from the order export by a few cents | Compare a month's revenue in the dashboard with the export ;; Same total ;; Totals differ because of rounding per line
Merchant Admin | Session expires while editing a long product description | Edit a product for 40 minutes and save ;; Changes are saved or kept ;; Changes are lost with a login screen
Mobile App | Android app crashes when the cart has more than 50 items | Add 51 items to the cart on Android 14 ;; The cart scrolls ;; The app crashes on opening the cart
Mobile App | iOS app shows prices without currency symbol in Switzerland | Open the app with the store currency CHF ;; Prices show CHF ;; Prices show the number only
Accounts | Password reset link works twice | Use a password reset link, then open it again ;; The second use is refused ;; The password can be reset again
Accounts | Data export misses addresses from guest orders | Request a data export as a customer who also ordered as a guest ;; Guest order addresses are included ;; They are missing
Accounts | Account deletion leaves the email in the newsletter list | Delete an account that subscribed to the newsletter ;; Email removed from the list ;; The email keeps receiving newsletters
Platform | Storefront returns 502 during deployments | Load the storefront while a deployment runs ;; No errors ;; About 1% of requests return 502 for two minutes
Platform | Image CDN serves stale product images after an update | Replace a product image ;; New image within 5 minutes ;; Old image for up to 24 hours
Platform | Rate limiter blocks the warehouse integration during syncs | Run an inventory sync with 5000 changes ;; Sync completes ;; Sync fails with 429 after 1000 changes
Analytics | Conversion rate above 100% for small traffic sources | Open conversion by source for a day with 2 sessions from email ;; Rate at most 100% ;; Rate 150% because orders from earlier sessions are counted
Catalog | Bulk price update rounds 19.99 to 20.00 | Update prices with a 10% increase for a collection ;; Prices keep two decimals ;; Prices are rounded to whole units
Catalog | Product duplicates keep the original's URL handle | Duplicate a product and publish it ;; A new handle is generated ;; Both products share a handle and one is unreachable
`

// demoTasks are technical tasks: "component | summary | note".
var demoTasks = `
Platform | Upgrade PostgreSQL from 14 to 16 | Follow the runbook on staging first; expect 10 minutes of read-only mode.
Platform | Move background jobs to the new queue cluster | Drain the old queue before switching workers.
Platform | Add alerting on checkout error rate | Page the on-call engineer when errors exceed 2% for 5 minutes.
Platform | Rotate the payment provider API keys | Keys expire next quarter; coordinate with finance.
Platform | Enable HTTP/3 on the storefront CDN | Measure time to first byte before and after.
Platform | Remove the legacy checkout code path | Only after the fallback window has closed.
Platform | Load test the storefront for Black Friday traffic | Target 10x last year's peak with 95th percentile under 800 ms.
Platform | Document the incident response process | Include the status page and customer communication steps.
Payments | Migrate card tokens to the provider's new vault API | The old API is deprecated at the end of the year.
Payments | Add idempotency keys to refund requests | Prevents double refunds when webhooks are retried.
Payments | Reconcile payouts with bank statements nightly | Flag differences above 1 EUR.
Search | Rebuild the search index with the new analyzer | Plan a reindex window of about 2 hours per 1M products.
Search | Add search latency dashboards | Per store and per query type.
Orders | Partition the orders table by month | Needed before the largest stores pass 10M orders.
Orders | Backfill order timeline entries for old orders | Orders created before the timeline launched have none.
Subscriptions | Write the renewal job runbook | How to replay failed renewals safely.
Subscriptions | Add tracing to renewal payments | One trace per renewal across services.
Integrations | Add a sandbox for warehouse integrations | Partners need to test without touching live stock.
Integrations | Publish the stock API in the developer docs | Include rate limits and examples.
Storefront | Audit all themes with an automated accessibility checker | Record findings per theme as bugs.
Storefront | Replace the image carousel library | Current library is unmaintained and not accessible.
Mobile App | Upgrade the Android target SDK to 34 | Required by the store policy from August.
Mobile App | Set up crash reporting for the iOS app | Symbol upload in the release pipeline.
Accounts | Encrypt customer phone numbers at rest | Key rotation yearly.
Accounts | Delete inactive guest data after 24 months | Nightly job with a dry-run report first.
Analytics | Move reporting queries to the read replica | The dashboard slows down the primary at month end.
Merchant Admin | Add audit logging for staff permission changes | Who changed what and when.
Notifications | Switch transactional email to the new provider | Warm up the sending domain over two weeks.
Catalog | Add database constraints for unique product handles | Clean up existing duplicates first.
Checkout | Remove unused checkout feature flags | Eleven flags are fully rolled out.
`

// demoDuplicates restate stories of the epics in other words, as people
// file them without searching first: "epic index | story index | line".
// Each becomes a new story linked as a duplicate of the original, except
// the ones marked "~" which stay unlinked for duplicate detection to find.
var demoDuplicates = `
0 | 0 | shopper | have all checkout steps on one page | I do not lose track while buying | Shipping, payment and review are visible together
1 | 1 | returning customer | choose one of my stored cards when paying | paying takes one step | Default card is selected
2 | 0 | shopper | add products to a wish list | I can buy them another day | Heart icon on product pages saves the product
3 | 0 | shopper | find products even with typos in my search | I do not get zero results | Misspelled words are corrected
3 | 1 | shopper | narrow search results by size and colour | I only see products that fit | Filters for size and colour
4 | 1 | merchant | print many packing slips in one go | shipping prep is faster | One PDF for the selected orders
5 | 1 | subscriber | skip one delivery of my subscription | I do not receive boxes on holiday | Next date moves one interval
5 | 3 | subscriber | end my subscription without calling | cancelling is easy | Cancel button in my account
6 | 0 | shopper | return an item from my account page | I do not need to email the shop | Return button on delivered orders
~ | 8 | 0 | warehouse manager | sync stock from the warehouse system every few minutes | we do not oversell | Stock updates within minutes
~ | 9 | 0 | store owner | compare today's revenue with last week | I see if sales are down | Today versus same day last week
~ | 11 | 0 | marketing manager | set up buy 2 get 1 free deals | we sell more seasonal items | Cheapest item is free
~ | 13 | 1 | shopper | erase my account and my personal data | the store forgets me | Personal data erased, orders anonymised
~ | 7 | 0 | mobile shopper | use Google Pay in the app | checkout is quicker on Android | Google Pay offered first
~ | 10 | 1 | keyboard user | use Tab to move through checkout | I can buy without a mouse | Visible focus on every control
`

// demoComments are comment texts by kind of issue.
var demoComments = map[string][]string{
	"story": {
		"Three enterprise customers asked for this on calls this month.",
		"Design mocks are in Figma under Checkout / v3.",
		"Can we agree on the acceptance criteria before refinement on Thursday?",
		"This came up again in the churn interviews: two merchants named it as a reason to leave.",
		"I split the API part into a separate task so this one stays small.",
		"Support tickets tagged with this topic: 41 in the last quarter.",
		"Competitor X shipped something similar last month; see the product update email.",
		"Legal confirmed there is no extra consent needed for this.",
		"Estimated together in refinement; we agreed it fits in one sprint.",
		"Moving this to the next release: the payments provider sandbox is not ready.",
	},
	"bug": {
		"Reproduced on staging with the steps above.",
		"Affects about 2% of checkouts according to the error dashboard.",
		"Customer reported it via chat; ticket linked in Zendesk.",
		"Root cause is a race in the webhook handler; fix in review.",
		"Could not reproduce on Chrome; only Safari is affected.",
		"Hotfix deployed, monitoring for 24 hours before closing.",
	},
	"task": {
		"Runbook draft is in Confluence.",
		"Scheduled for the maintenance window on Sunday.",
		"Blocked until the infrastructure budget is approved.",
	},
}

// demoPeople are the team working on the project.
var demoPeople = []FixtureUser{
	{AccountID: "712020:5f1c2e9a-8b44-4b7e-9d1a-3c6f0a2b7e11", DisplayName: "Priya Natarajan"}, // product manager, lead
	{AccountID: "712020:0a9e4c3d-2f61-4a8b-b5c7-91d2e6f4a802", DisplayName: "Marcus Feld"},     // product owner
	{AccountID: "712020:c7d21b58-6e0f-4c93-8a4d-5b1e7f9c3a20", DisplayName: "Sofia Martins"},   // engineering lead
	{AccountID: "712020:3b8f6a17-94d2-4e05-a1c6-d8e2f5b0c934", DisplayName: "Daniel Okafor"},   // backend
	{AccountID: "712020:e4a09c62-1d7b-48f3-9e25-6c3b8d1f0a47", DisplayName: "Lena Vogel"},      // frontend
	{AccountID: "712020:9d3e5f81-b2a4-4c6d-8f17-0e9c2a4b6d58", DisplayName: "Hiro Tanaka"},     // mobile
	{AccountID: "712020:1f7b3d95-c8e6-4a02-b9d4-7a5e3c1f8b69", DisplayName: "Amara Diallo"},    // QA
	{AccountID: "712020:6c2a8e40-5f93-4d1b-a7e8-2b4d9f6c0e7a", DisplayName: "Tom Reilly"},      // support lead
	{AccountID: "712020:b5e91d26-7a3c-4f8e-9b02-4d6a1e8c5f3b", DisplayName: "Nina Kowalski"},   // designer
}
