"""Word groups the app offers to highlight: everyday categories and the module's six place names."""

WORD_GROUPS: dict[str, list[str]] = {
    "Illinois and Indiana (the module's example)": ["illinois", "chicago", "champaign", "indiana",
                                                    "indianapolis", "bloomington"],
    "Countries": ["france", "germany", "italy", "spain", "china", "japan", "india", "russia", "england",
                  "egypt"],
    "Weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
    "Colours": ["red", "green", "blue", "yellow", "black", "white", "brown", "purple", "orange", "pink"],
    "Family": ["mother", "father", "sister", "brother", "son", "daughter", "wife", "husband", "uncle", "aunt"],
    "Numbers": ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"],
}
