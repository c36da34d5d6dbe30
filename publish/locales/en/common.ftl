# Messages shared by every page.
language-name = English
events-count = { $count ->
    [one] { $count } event
   *[other] { $count } events
}
